//! Diesel table definitions, matching `migrations/` (the integration tests exercise every column).

diesel::table! {
    tenants (id) {
        id -> Uuid,
        slug -> Text,
        display_name -> Text,
        status -> Text,
        created_at -> Timestamptz,
        cancelled_at -> Nullable<Timestamptz>,
        cancel_keep_days -> Nullable<Int4>,
        purged_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    tenant_secrets (tenant_id, name) {
        tenant_id -> Uuid,
        name -> Text,
        value_enc -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        email -> Nullable<Text>,
        display_name -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        mfa_exempt -> Bool,
        user_name -> Nullable<Text>,
        external_id -> Nullable<Text>,
        scim -> Jsonb,
        email_key -> Nullable<Text>,
        user_name_key -> Nullable<Text>,
        email_sealed -> Nullable<Text>,
        display_name_sealed -> Nullable<Text>,
        user_name_sealed -> Nullable<Text>,
        external_id_sealed -> Nullable<Text>,
        scim_sealed -> Nullable<Text>,
        email_index -> Nullable<Text>,
        user_name_index -> Nullable<Text>,
        external_id_index -> Nullable<Text>,
    }
}

diesel::table! {
    events (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        seq -> Int8,
        #[sql_name = "type"]
        kind -> Text,
        occurred_at -> Timestamptz,
        data -> Jsonb,
    }
}

diesel::table! {
    user_email_indexes (tenant_id, value, user_id) {
        tenant_id -> Uuid,
        user_id -> Uuid,
        value -> Text,
    }
}

diesel::table! {
    roles (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        name -> Text,
        description -> Text,
        permissions -> Array<Text>,
        builtin -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    user_roles (tenant_id, user_id, role_id) {
        tenant_id -> Uuid,
        user_id -> Uuid,
        role_id -> Uuid,
        granted_at -> Timestamptz,
    }
}

diesel::table! {
    audit_pending (tenant_id, n) {
        n -> Int8,
        id -> Uuid,
        tenant_id -> Uuid,
        occurred_at -> Timestamptz,
        actor -> Text,
        action -> Text,
        target -> Text,
        trace_id -> Text,
        details -> Jsonb,
        seal -> Text,
    }
}

diesel::table! {
    audit_log (tenant_id, seq) {
        tenant_id -> Uuid,
        seq -> Int8,
        occurred_at -> Timestamptz,
        actor -> Text,
        action -> Text,
        target -> Text,
        trace_id -> Text,
        ip_hash -> Nullable<Text>,
        details -> Jsonb,
        prev_hash -> Text,
        hash -> Text,
        entry_id -> Nullable<Uuid>,
    }
}

diesel::joinable!(user_roles -> users (user_id));
diesel::joinable!(user_roles -> roles (role_id));

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        alg -> Text,
        public_jwk -> Jsonb,
        private_enc -> Text,
        created_at -> Timestamptz,
        activates_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    oauth_clients (tenant_id, client_id) {
        tenant_id -> Uuid,
        client_id -> Text,
        name -> Text,
        grant_types -> Array<Text>,
        redirect_uris -> Array<Text>,
        audiences -> Array<Text>,
        scopes -> Array<Text>,
        resource_audience -> Nullable<Text>,
        signing_alg -> Text,
        access_token_ttl_secs -> Int4,
        created_at -> Timestamptz,
        disabled_at -> Nullable<Timestamptz>,
        post_logout_redirect_uris -> Array<Text>,
        trusted -> Bool,
    }
}

diesel::table! {
    client_secrets (tenant_id, secret_hash) {
        tenant_id -> Uuid,
        client_id -> Text,
        secret_hash -> Text,
        created_at -> Timestamptz,
        expires_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    revoked_tokens (tenant_id, jti) {
        tenant_id -> Uuid,
        jti -> Text,
        expires_at -> Timestamptz,
        revoked_at -> Timestamptz,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        name -> Text,
        role_id -> Uuid,
        created_by -> Text,
        created_at -> Timestamptz,
        rotated_at -> Timestamptz,
        rotation_flagged_at -> Nullable<Timestamptz>,
        last_used_at -> Nullable<Timestamptz>,
        expires_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    api_key_secrets (tenant_id, secret_hash) {
        tenant_id -> Uuid,
        key_id -> Uuid,
        secret_hash -> Text,
        last4 -> Text,
        created_at -> Timestamptz,
        expires_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(api_key_secrets -> api_keys (key_id));
diesel::joinable!(api_keys -> roles (role_id));

diesel::table! {
    passkeys (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        user_id -> Uuid,
        credential_id -> Bytea,
        name -> Text,
        credential -> Jsonb,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        sign_count -> Int8,
    }
}

diesel::table! {
    passkey_challenges (token_hash) {
        token_hash -> Text,
        purpose -> Text,
        bound_to -> Text,
        state -> Jsonb,
        expires_at -> Timestamptz,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    passkeys,
    passkey_challenges,
    tenants,
    tenant_secrets,
    users,
    roles,
    user_roles,
    audit_log,
    audit_pending,
    signing_keys,
    oauth_clients,
    client_secrets,
    revoked_tokens,
    api_keys,
    api_key_secrets,
    mail_outbox,
    sessions,
    authorization_codes,
    refresh_tokens,
    password_resets,
    role_mappings,
);

diesel::table! {
    mail_outbox (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        recipient_enc -> Text,
        subject -> Text,
        body_enc -> Text,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        user_id -> Uuid,
        secret_hash -> Text,
        amr -> Array<Text>,
        auth_time -> Timestamptz,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        idle_expires_at -> Timestamptz,
        absolute_expires_at -> Timestamptz,
        ended_at -> Nullable<Timestamptz>,
        end_reason -> Nullable<Text>,
    }
}

diesel::table! {
    authorization_codes (tenant_id, code_hash) {
        tenant_id -> Uuid,
        code_hash -> Text,
        client_id -> Text,
        redirect_uri -> Text,
        user_id -> Uuid,
        session_id -> Uuid,
        code_challenge -> Text,
        scope -> Text,
        nonce -> Nullable<Text>,
        auth_time -> Timestamptz,
        amr -> Array<Text>,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        issued_family -> Nullable<Uuid>,
        issued_jti -> Nullable<Text>,
        issued_exp -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    refresh_tokens (tenant_id, token_hash) {
        tenant_id -> Uuid,
        token_hash -> Text,
        family_id -> Uuid,
        client_id -> Text,
        user_id -> Uuid,
        session_id -> Uuid,
        scope -> Text,
        created_at -> Timestamptz,
        family_expires_at -> Timestamptz,
        rotated_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    password_resets (tenant_id, token_hash) {
        tenant_id -> Uuid,
        token_hash -> Text,
        user_id -> Uuid,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    tenant_domains (tenant_id, domain) {
        tenant_id -> Uuid,
        domain -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    mfa_totp (tenant_id, user_id) {
        tenant_id -> Uuid,
        user_id -> Uuid,
        secret_enc -> Text,
        confirmed_at -> Nullable<Timestamptz>,
        last_step -> Nullable<BigInt>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    mfa_recovery_codes (tenant_id, user_id, code_hash) {
        tenant_id -> Uuid,
        user_id -> Uuid,
        code_hash -> Text,
        created_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    mfa_policies (tenant_id) {
        tenant_id -> Uuid,
        required -> Bool,
        grace_period_days -> Integer,
        enforced_since -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    mfa_pending (tenant_id, token_hash) {
        tenant_id -> Uuid,
        token_hash -> Text,
        user_id -> Uuid,
        purpose -> Text,
        request -> Jsonb,
        replaces_session -> Nullable<Uuid>,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        primary_amr -> Array<Text>,
    }
}

diesel::table! {
    scim_groups (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        display_name -> Text,
        external_id -> Nullable<Text>,
        members -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        asserted_by -> Text,
    }
}

diesel::table! {
    scim_tokens (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        name -> Text,
        token_hash -> Text,
        created_by -> Text,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    role_mappings (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        group_name -> Text,
        role_id -> Uuid,
        created_at -> Timestamptz,
        claim -> Nullable<Text>,
    }
}

diesel::table! {
    sso_connections (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        kind -> Text,
        name -> Text,
        enabled -> Bool,
        password_signin_allowed -> Bool,
        idp_mfa_accepted -> Bool,
        settings -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        configured_by -> Text,
        metadata_refresh_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    sso_connection_domains (tenant_id, domain) {
        tenant_id -> Uuid,
        domain -> Text,
        connection_id -> Uuid,
        verified -> Bool,
    }
}

diesel::table! {
    sso_secrets (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        connection_id -> Uuid,
        kind -> Text,
        value_enc -> Text,
    }
}

diesel::table! {
    sso_requests (tenant_id, state_hash) {
        tenant_id -> Uuid,
        state_hash -> Text,
        connection_id -> Uuid,
        browser_hash -> Text,
        saml_request_id -> Nullable<Text>,
        oidc_nonce -> Nullable<Text>,
        request -> Jsonb,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    saml_seen_assertions (tenant_id, connection_id, assertion_id) {
        tenant_id -> Uuid,
        connection_id -> Uuid,
        assertion_id -> Text,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    sso_identities (tenant_id, connection_id, subject) {
        tenant_id -> Uuid,
        connection_id -> Uuid,
        subject -> Text,
        user_id -> Uuid,
        groups -> Jsonb,
        attributes -> Jsonb,
        created_at -> Timestamptz,
        last_signin_at -> Timestamptz,
        attributes_sealed -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(sso_identities, sso_connections);

diesel::table! {
    sso_tests (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        connection_id -> Uuid,
        started_by -> Text,
        start_hash -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        started_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
        outcome -> Nullable<Jsonb>,
        outcome_sealed -> Nullable<Text>,
    }
}

diesel::table! {
    resource_servers (audience) {
        audience -> Text,
        name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    consents (tenant_id, user_id, client_id) {
        tenant_id -> Uuid,
        user_id -> Uuid,
        client_id -> Text,
        scopes -> Array<Text>,
        granted_at -> Timestamptz,
    }
}

diesel::allow_tables_to_appear_in_same_query!(consents, oauth_clients);
