//! Integration tests against real PostgreSQL and Redis: one binary, one database per test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin_api;
mod api_keys;
mod audit;
mod catalog;
mod cli;
mod code_grant;
mod codes;
mod config_files;
mod domains;
mod encryption;
mod harness;
mod http_basics;
mod introspection;
mod key_rotation;
mod logs;
mod mail;
mod mfa;
mod openapi;
mod password_reset;
mod ratelimit;
mod sessions;
mod signin_flow;
mod support;
mod tenancy;
mod tokens;
