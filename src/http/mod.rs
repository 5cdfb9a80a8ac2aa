//! HTTP surface: the route table, extractors, middleware and handlers.
//!
//! Every route is registered through [`Routes`], which also records (method, path) pairs:
//! a test compares that table with `openapi.yaml`, so code and spec cannot drift apart.

mod account;
mod account_mfa;
mod account_passkeys;
mod account_password;
mod admin;
mod browser;
mod browser_session;
pub mod client_ip;
mod consent;
mod console;
mod csrf_form;
mod errors;
mod extract;
mod health;
mod home;
mod login_pages;
mod logout;
mod mfa_step;
pub mod middleware;
mod oauth;
pub(crate) mod oauth_limits;
pub mod pages;
mod passkey_signin;
mod password;
pub mod request_context;
mod scim;
pub mod signin;
mod sso;
pub mod state;
mod step_answer;
mod userinfo;
pub mod wellknown;

use actix_web::dev::Handler;
use actix_web::http::Method;
use actix_web::{web, App, FromRequest, Responder, Route};

pub use errors::{json_config, path_config, query_config, route_not_found};

/// One method on one path.
pub struct Endpoint {
    method: Method,
    route: Route,
}

macro_rules! endpoint_fn {
    ($name:ident, $method:ident) => {
        pub fn $name<F, Args>(handler: F) -> Endpoint
        where
            F: Handler<Args>,
            Args: FromRequest + 'static,
            F::Output: Responder + 'static,
        {
            Endpoint {
                method: Method::$method,
                route: web::route().method(Method::$method).to(handler),
            }
        }
    };
}

endpoint_fn!(get, GET);
endpoint_fn!(post, POST);
endpoint_fn!(put, PUT);
endpoint_fn!(patch, PATCH);
endpoint_fn!(delete, DELETE);

/// Registers resources and remembers what it registered.
pub struct Routes<'a> {
    cfg: &'a mut web::ServiceConfig,
    table: &'a mut Vec<(Method, String)>,
}

impl Routes<'_> {
    pub fn resource(&mut self, path: &str, endpoints: Vec<Endpoint>) -> &mut Self {
        let mut resource = web::resource(path).default_service(web::to(errors::method_not_allowed));
        for e in endpoints {
            self.table.push((e.method, path.to_string()));
            resource = resource.route(e.route);
        }
        self.cfg.service(resource);
        self
    }
}

/// Every route of the service.
pub fn configure(cfg: &mut web::ServiceConfig, table: &mut Vec<(Method, String)>) {
    let mut r = Routes { cfg, table };
    r.resource("/", vec![get(home::index)]);
    r.resource("/healthz", vec![get(health::healthz)]);
    r.resource("/readyz", vec![get(health::readyz)]);
    r.resource("/metrics", vec![get(health::metrics)]);
    r.resource(
        "/.well-known/openid-configuration",
        vec![get(wellknown::openid_configuration)],
    );
    r.resource("/.well-known/jwks.json", vec![get(wellknown::jwks)]);
    r.resource("/oauth2/token", vec![post(oauth::token_endpoint)]);
    r.resource("/oauth2/authorize", vec![get(signin::authorize_page)]);
    r.resource("/signin", vec![post(signin::sign_in)]);
    r.resource("/signin/consent", vec![post(consent::decide)]);
    r.resource("/signin/mfa", vec![post(mfa_step::verify)]);
    r.resource("/signin/mfa/enrol", vec![post(mfa_step::enrol)]);
    r.resource("/signin/mfa/skip", vec![post(mfa_step::skip)]);
    r.resource(
        "/signin/passkey/options",
        vec![post(passkey_signin::sign_in_options)],
    );
    r.resource("/signin/passkey", vec![post(passkey_signin::sign_in)]);
    r.resource(
        "/signin/mfa/passkey/options",
        vec![post(passkey_signin::second_factor_options)],
    );
    r.resource(
        "/signin/mfa/passkey",
        vec![post(passkey_signin::second_factor)],
    );
    r.resource(
        "/account/passkeys",
        vec![get(account_passkeys::show), post(account_passkeys::add)],
    );
    r.resource(
        "/account/passkeys/options",
        vec![post(account_passkeys::options)],
    );
    r.resource(
        "/account/passkeys/confirm",
        vec![post(account_passkeys::confirm)],
    );
    r.resource(
        "/account/passkeys/{id}/remove",
        vec![post(account_passkeys::remove)],
    );
    console::routes(&mut r);
    r.resource("/account/sessions", vec![get(account::list)]);
    r.resource("/account/export", vec![post(account::export)]);
    r.resource("/account/apps", vec![get(consent::list)]);
    r.resource(
        "/account/password",
        vec![get(account_password::show), post(account_password::change)],
    );
    r.resource(
        "/account/apps/{client_id}/revoke",
        vec![post(consent::revoke)],
    );
    r.resource("/account/mfa", vec![get(account_mfa::show)]);
    r.resource("/account/mfa/enrol", vec![post(account_mfa::enrol)]);
    r.resource("/account/mfa/confirm", vec![post(account_mfa::confirm)]);
    r.resource("/account/mfa/remove", vec![post(account_mfa::remove)]);
    r.resource(
        "/account/mfa/recovery-codes",
        vec![post(account_mfa::regenerate)],
    );
    r.resource(
        "/account/mfa/recovery-codes.txt",
        vec![post(account_mfa::download)],
    );
    r.resource("/account/sessions/{id}", vec![delete(account::end)]);
    r.resource(
        "/oauth2/logout",
        vec![get(logout::logout), post(logout::logout)],
    );
    r.resource("/assets/identity.css", vec![get(signin::stylesheet)]);
    r.resource("/assets/passkeys.js", vec![get(signin::script)]);
    r.resource(
        "/password/forgot",
        vec![get(password::forgot_page), post(password::forgot)],
    );
    r.resource(
        "/password/reset",
        vec![get(password::reset_page), post(password::reset)],
    );
    r.resource("/oauth2/introspect", vec![post(oauth::introspect_endpoint)]);
    r.resource(
        "/oauth2/userinfo",
        vec![get(userinfo::userinfo), post(userinfo::userinfo)],
    );
    r.resource("/oauth2/revoke", vec![post(oauth::revoke_endpoint)]);
    r.resource(
        "/admin/v1/users",
        vec![get(admin::users::list), post(admin::users::create)],
    );
    r.resource(
        "/admin/v1/users/{id}",
        vec![
            get(admin::users::get),
            patch(admin::users::update),
            delete(admin::users::delete),
        ],
    );
    r.resource(
        "/admin/v1/users/{id}/export",
        vec![get(admin::users::export)],
    );
    r.resource(
        "/admin/v1/users/{id}/disable",
        vec![post(admin::users::disable)],
    );
    r.resource(
        "/admin/v1/users/{id}/enable",
        vec![post(admin::users::enable)],
    );
    r.resource(
        "/admin/v1/users/{id}/password-reset",
        vec![post(admin::users::send_reset_link)],
    );
    r.resource(
        "/admin/v1/users/{id}/roles",
        vec![put(admin::users::set_roles)],
    );
    r.resource(
        "/admin/v1/users/{id}/sessions",
        vec![get(admin::users::sessions)],
    );
    r.resource(
        "/admin/v1/users/{id}/sessions/{session_id}",
        vec![delete(admin::users::end_session)],
    );
    r.resource("/admin/v1/users/{id}/mfa", vec![delete(admin::mfa::reset)]);
    r.resource(
        "/admin/v1/users/{id}/passkeys",
        vec![
            get(admin::mfa::passkeys),
            delete(admin::mfa::reset_passkeys),
        ],
    );
    r.resource(
        "/admin/v1/users/{id}/mfa-exemption",
        vec![put(admin::mfa::put_exemption)],
    );
    r.resource(
        "/admin/v1/mfa-policy",
        vec![get(admin::mfa::get_policy), put(admin::mfa::put_policy)],
    );
    r.resource(
        "/admin/v1/roles",
        vec![get(admin::roles::list), post(admin::roles::create)],
    );
    r.resource(
        "/admin/v1/api-keys",
        vec![get(admin::api_keys::list), post(admin::api_keys::create)],
    );
    r.resource(
        "/admin/v1/api-keys/{id}/rotate",
        vec![post(admin::api_keys::rotate)],
    );
    r.resource(
        "/admin/v1/api-keys/{id}",
        vec![delete(admin::api_keys::revoke)],
    );
    r.resource(
        "/admin/v1/clients",
        vec![get(admin::clients::list), post(admin::clients::create)],
    );
    r.resource(
        "/admin/v1/clients/{id}",
        vec![
            get(admin::clients::get),
            patch(admin::clients::update),
            delete(admin::clients::delete),
        ],
    );
    r.resource(
        "/admin/v1/clients/{id}/rotate",
        vec![post(admin::clients::rotate)],
    );
    r.resource("/admin/v1/audit/export", vec![get(admin::audit::export)]);
    r.resource("/admin/v1/audit/recent", vec![get(admin::audit::recent)]);
    r.resource(
        "/admin/v1/scim-tokens",
        vec![
            get(admin::scim_tokens::list),
            post(admin::scim_tokens::create),
        ],
    );
    r.resource(
        "/admin/v1/scim-tokens/{id}",
        vec![delete(admin::scim_tokens::revoke)],
    );
    r.resource(
        "/admin/v1/role-mappings",
        vec![
            get(admin::role_mappings::list),
            post(admin::role_mappings::create),
        ],
    );
    r.resource(
        "/admin/v1/role-mappings/dry-run",
        vec![post(admin::role_mappings::dry_run)],
    );
    r.resource(
        "/admin/v1/role-mappings/{id}",
        vec![delete(admin::role_mappings::delete)],
    );
    r.resource(
        "/admin/v1/sso-connections",
        vec![get(admin::sso::list), post(admin::sso::create)],
    );
    r.resource(
        "/admin/v1/sso-connections/{id}",
        vec![
            get(admin::sso::get),
            put(admin::sso::replace),
            delete(admin::sso::delete),
        ],
    );
    r.resource(
        "/admin/v1/sso-connections/{id}/tests",
        vec![post(admin::sso::start_test)],
    );
    r.resource(
        "/admin/v1/sso-connections/{id}/metadata-refresh",
        vec![post(admin::sso::refresh_metadata)],
    );
    r.resource(
        "/admin/v1/sso-connections/{id}/tests/{test}",
        vec![get(admin::sso::test_result)],
    );
    r.resource(
        "/sso/test/{link}",
        vec![get(sso::test_page), post(sso::test_start)],
    );
    r.resource(
        "/sso/saml/{tenant}/{connection}/metadata",
        vec![get(sso::saml_metadata)],
    );
    r.resource(
        "/sso/saml/{tenant}/{connection}/acs",
        vec![post(sso::saml_acs)],
    );
    r.resource("/sso/oidc/callback", vec![get(sso::oidc_callback)]);
    scim_routes(&mut r);
}

fn scim_routes(r: &mut Routes<'_>) {
    r.resource(
        "/scim/v2/ServiceProviderConfig",
        vec![get(scim::service_provider_config)],
    );
    r.resource("/scim/v2/Schemas", vec![get(scim::schemas)]);
    r.resource("/scim/v2/Schemas/{id}", vec![get(scim::schema_by_id)]);
    r.resource(
        "/scim/v2/ResourceTypes",
        vec![get(scim::resource_types_list)],
    );
    r.resource(
        "/scim/v2/ResourceTypes/{id}",
        vec![get(scim::resource_type_by_id)],
    );
    r.resource("/scim/v2/.search", vec![post(scim::root_search)]);
    r.resource("/scim/v2/Users/.search", vec![post(scim::search_users)]);
    r.resource(
        "/scim/v2/Users",
        vec![get(scim::list_users), post(scim::create_user)],
    );
    r.resource(
        "/scim/v2/Users/{id}",
        vec![
            get(scim::get_user),
            put(scim::put_user),
            patch(scim::patch_user),
            delete(scim::delete_user),
        ],
    );
    r.resource("/scim/v2/Groups/.search", vec![post(scim::search_groups)]);
    r.resource(
        "/scim/v2/Groups",
        vec![get(scim::list_groups), post(scim::create_group)],
    );
    r.resource(
        "/scim/v2/Groups/{id}",
        vec![
            get(scim::get_group),
            put(scim::put_group),
            patch(scim::patch_group),
            delete(scim::delete_group),
        ],
    );
    // Not a documented endpoint: any other path under /scim/v2 answers a SCIM 404.
    r.cfg
        .service(web::resource("/scim/v2/{tail:.*}").to(scim::not_found));
}

/// The (method, path) pairs the service serves, in registration order.
pub fn route_table() -> Vec<(Method, String)> {
    let mut table = Vec::new();
    let _ = App::new().configure(|cfg| configure(cfg, &mut table));
    table
}
