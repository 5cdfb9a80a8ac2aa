//! Diesel table definitions, matching `migrations/` (the integration tests exercise every column).

diesel::table! {
    tenants (id) {
        id -> Uuid,
        slug -> Text,
        display_name -> Text,
        status -> Text,
        created_at -> Timestamptz,
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
        email -> Text,
        display_name -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
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
    }
}

diesel::joinable!(user_roles -> users (user_id));
diesel::joinable!(user_roles -> roles (role_id));

diesel::allow_tables_to_appear_in_same_query!(
    tenants,
    tenant_secrets,
    users,
    roles,
    user_roles,
    audit_log
);
