//! HTTP surface: the route table, extractors, middleware and handlers.
//!
//! Every route is registered through [`Routes`], which also records (method, path) pairs:
//! a test compares that table with `openapi.yaml`, so code and spec cannot drift apart.

pub mod client_ip;
mod errors;
mod health;
mod home;
pub mod middleware;
pub mod request_context;

use actix_web::dev::Handler;
use actix_web::http::Method;
use actix_web::{web, App, FromRequest, Responder, Route};

pub use errors::{json_config, route_not_found};

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
}

/// The (method, path) pairs the service serves, in registration order.
pub fn route_table() -> Vec<(Method, String)> {
    let mut table = Vec::new();
    let _ = App::new().configure(|cfg| configure(cfg, &mut table));
    table
}
