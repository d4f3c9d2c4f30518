//! Ordered `;name[=value]` parameter lists, as found in URIs, Via, From/To and Contact.
//! Names compare case-insensitively (RFC 3261 §7.3.1); values are kept as received.

use std::fmt;

/// An ordered list of parameters. Order is preserved so that re-emitted headers look like
/// the ones received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, Option<String>)>);

impl Params {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a parameter (no de-duplication: that is what was received).
    pub fn push(&mut self, name: &str, value: Option<&str>) {
        self.0.push((name.to_owned(), value.map(str::to_owned)));
    }

    /// `Some(Some(v))` for `name=v`, `Some(None)` for a flag `name`, `None` when absent.
    pub fn get(&self, name: &str) -> Option<Option<&str>> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }

    /// The value of `name=value`, ignoring flags.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).flatten()
    }

    /// Whether the parameter is present, with or without a value.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Sets `name` (replacing the first occurrence, or appending).
    pub fn set(&mut self, name: &str, value: Option<&str>) {
        if let Some(slot) = self
            .0
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            slot.1 = value.map(str::to_owned);
        } else {
            self.push(name, value);
        }
    }

    /// Removes every occurrence of `name`.
    pub fn remove(&mut self, name: &str) {
        self.0.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// Iterates `(name, value)` pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_deref()))
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Writes `;a=b;c` (nothing for an empty list).
impl fmt::Display for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, value) in &self.0 {
            match value {
                Some(v) => write!(f, ";{name}={v}")?,
                None => write!(f, ";{name}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_is_case_insensitive_and_display_keeps_order() {
        let mut p = Params::new();
        p.push("Branch", Some("z9hG4bK1"));
        p.push("rport", None);
        assert_eq!(p.value("branch"), Some("z9hG4bK1"));
        assert_eq!(p.get("RPORT"), Some(None));
        p.set("rport", Some("5060"));
        p.push("received", Some("10.0.0.1"));
        assert_eq!(
            p.to_string(),
            ";Branch=z9hG4bK1;rport=5060;received=10.0.0.1"
        );
        p.remove("BRANCH");
        assert_eq!(p.len(), 2);
    }
}
