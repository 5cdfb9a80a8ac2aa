//! Integration tests against real PostgreSQL and Redis: one binary, one database per test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod catalog;
mod cli;
mod encryption;
mod harness;
mod http_basics;
mod logs;
mod openapi;
mod ratelimit;
mod tenancy;
