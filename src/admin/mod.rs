//! Workspace administration: tenant bootstrap and built-in roles (admin API comes later).

pub mod bootstrap;
pub mod roles;
