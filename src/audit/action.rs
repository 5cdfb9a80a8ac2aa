//! Every action the audit log records, by name: one list, so a typo cannot create a new
//! kind of entry and readers of the log can rely on the names below.

macro_rules! actions {
    ($($variant:ident => $text:literal,)*) => {
        /// An audited action; [`Action::as_str`] is the name stored in the log.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action {
            $($variant,)*
        }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Action::$variant => $text,)*
                }
            }
        }
    };
}

actions! {
    UserCreated => "user.created",
    UserUpdated => "user.updated",
    UserRolesChanged => "user.roles_changed",
    UserEnabled => "user.enabled",
    UserEmailChanged => "user.email_changed",
    UserDisabled => "user.disabled",
    UserDeleted => "user.deleted",
    UserExported => "user.exported",
    UserErased => "user.erased",
    AuditRetentionCut => "audit.retention_cut",
    RetentionPurged => "retention.purged",
    TenantSuspended => "tenant.suspended",
    TenantResumed => "tenant.resumed",
    TenantCancelled => "tenant.cancelled",
    TenantPurged => "tenant.purged",
    TenantCreated => "tenant.created",
    SsoConnectionUpdated => "sso_connection.updated",
    SsoConnectionDeleted => "sso_connection.deleted",
    SsoConnectionCreated => "sso_connection.created",
    SsoConnectionTestStarted => "sso_connection.test_started",
    SsoConnectionTested => "sso_connection.tested",
    SsoConnectionMetadataRefreshed => "sso_connection.metadata_refreshed",
    SsoConnectionMetadataRefreshRefused => "sso_connection.metadata_refresh_refused",
    SsoUserUpdated => "sso.user_updated",
    SsoUserProvisioned => "sso.user_provisioned",
    SsoSigninFailed => "sso.signin_failed",
    SsoAccountLinked => "sso.account_linked",
    SigningKeyRotated => "signing_key.rotated",
    SigningKeyRevoked => "signing_key.revoked",
    SigningKeyCreated => "signing_key.created",
    SigninSucceeded => "signin.succeeded",
    SigninFailed => "signin.failed",
    SessionEndedAll => "session.ended_all",
    SessionEnded => "session.ended",
    ScimTokenRevoked => "scim_token.revoked",
    ScimTokenCreated => "scim_token.created",
    ScimUserReplaced => "scim.user.replaced",
    ScimUserPatched => "scim.user.patched",
    ScimUserDeleted => "scim.user.deleted",
    ScimUserCreated => "scim.user.created",
    ScimRequestRefused => "scim.request_refused",
    ScimGroupReplaced => "scim.group.replaced",
    ScimGroupPatched => "scim.group.patched",
    ScimGroupDeleted => "scim.group.deleted",
    ScimGroupCreated => "scim.group.created",
    RoleMappingDeleted => "role_mapping.deleted",
    RoleMappingCreated => "role_mapping.created",
    RoleRevoked => "role.revoked",
    RoleCreated => "role.created",
    RoleGranted => "role.granted",
    PasswordResetSent => "password.reset_sent",
    PasswordResetRequested => "password.reset_requested",
    PasswordChanged => "password.changed",
    MfaResetByAdmin => "mfa.reset_by_admin",
    MfaRemoved => "mfa.removed",
    MfaRecoveryCodesRegenerated => "mfa.recovery_codes_regenerated",
    MfaRecoveryCodeUsed => "mfa.recovery_code_used",
    MfaPolicyChanged => "mfa.policy_changed",
    MfaExemptionChanged => "mfa.exemption_changed",
    MfaEnrolled => "mfa.enrolled",
    PasskeyRegistered => "passkey.registered",
    PasskeyRemoved => "passkey.removed",
    PasskeysResetByAdmin => "passkey.reset_by_admin",
    PasskeyCloneSuspected => "passkey.clone_suspected",
    EncryptionRotationStarted => "encryption.rotation_started",
    EncryptionRotationCompleted => "encryption.rotation_completed",
    EncryptionRotationBatch => "encryption.rotation_batch",
    DomainReleased => "domain.released",
    DomainClaimed => "domain.claimed",
    CredentialsRevokedWithMaker => "credentials.revoked_with_maker",
    ClientSecretRotated => "client.secret_rotated",
    ClientDeleted => "client.deleted",
    ClientCreated => "client.created",
    ClientUpdated => "client.updated",
    ConsentGranted => "consent.granted",
    ConsentRevoked => "consent.revoked",
    ResourceServerAdded => "resource_server.added",
    ResourceServerRemoved => "resource_server.removed",
    AuditExported => "audit.exported",
    AuditEntryRefused => "audit.entry_refused",
    ApiKeyRotationDue => "api_key.rotation_due",
    ApiKeyRotated => "api_key.rotated",
    ApiKeyRevoked => "api_key.revoked",
    ApiKeyCreated => "api_key.created",
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Action;

    #[test]
    fn names_are_unique_and_dotted() {
        let mut seen = std::collections::HashSet::new();
        for a in Action::ALL {
            assert!(seen.insert(a.as_str()), "{} twice", a.as_str());
            assert!(a.as_str().contains('.'), "{}", a.as_str());
        }
    }
}
