//! The console's typed form fields: what a posted box or text area means, parsed once at
//! the edge so handlers read values, never a map of strings.

use serde::Deserialize;

/// A checkbox: posted as `true` when ticked, absent otherwise.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(from = "String")]
pub struct Checkbox(pub bool);

impl From<String> for Checkbox {
    fn from(v: String) -> Self {
        Checkbox(v == "true")
    }
}

/// A text area of one value a line (URIs, audiences), blank lines left out.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(from = "String")]
pub struct Lines(pub Vec<String>);

impl From<String> for Lines {
    fn from(v: String) -> Self {
        let lines = v.lines().map(str::trim).filter(|l| !l.is_empty());
        Lines(lines.map(str::to_string).collect())
    }
}

/// The roles ticked on a person's page: one box a role, named `role:<name>` (each field
/// once, as the one CSRF-checked form reader wants).
#[derive(Debug, Default, Deserialize)]
#[serde(from = "std::collections::HashMap<String, String>")]
pub struct TickedRoles(pub Vec<String>);

impl From<std::collections::HashMap<String, String>> for TickedRoles {
    fn from(form: std::collections::HashMap<String, String>) -> Self {
        let ticked = form.into_iter().filter(|(_, v)| v == "true");
        let mut names: Vec<String> = ticked
            .filter_map(|(k, _)| k.strip_prefix("role:").map(str::to_string))
            .collect();
        names.sort();
        TickedRoles(names)
    }
}

/// A form of one text field, `name` (a new API key's or SCIM token's name).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Named {
    pub name: String,
    /// The role a new API key gets (absent on forms without one).
    pub role: String,
}

/// A page shown again after a save (`?saved=1`).
#[derive(Debug, Default, Deserialize)]
pub struct AfterSave {
    saved: Option<String>,
}

impl AfterSave {
    pub fn saved(&self) -> bool {
        self.saved.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Posted {
        #[serde(default)]
        tick: Checkbox,
        #[serde(default)]
        uris: Lines,
    }

    #[test]
    fn a_form_reads_as_typed_values() {
        let p: Posted = serde_urlencoded::from_str("tick=true&uris=a%0D%0A%0D%0A+b+").unwrap();
        assert!(p.tick.0);
        assert_eq!(p.uris.0, ["a", "b"]);
        let p: Posted = serde_urlencoded::from_str("csrf=x").unwrap();
        assert!(!p.tick.0, "an unticked box is not posted");
        assert!(p.uris.0.is_empty());
    }
}
