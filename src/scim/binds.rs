//! The bind values of a filter's SQL: every compared value is a parameter, never text.

/// Bind values (all text); `$1` is the tenant, so values start at `$2`.
pub struct Binds(pub Vec<String>);

impl Binds {
    pub fn new(tenant: String) -> Self {
        Binds(vec![tenant])
    }
    pub fn push(&mut self, v: String) -> String {
        self.0.push(v);
        format!("${}", self.0.len())
    }
}
