//! Structured fields kept as JSON text: domain limits, forward and alias targets, list
//! members, spool recipients, and change events passed between processes.
//!
//! Invariant: every backend writes these with the same serde encoding, so a record or an
//! event written by one process reads back the same in any other; a value that does not
//! decode is reported as corrupt, naming what it was.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Result, StoreError};

/// Decode a JSON text value, naming it (`what`) on failure.
pub fn from_json<T: DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Encode a value as JSON text.
pub fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Event;

    #[test]
    fn events_round_trip_and_bad_text_is_corrupt() {
        let e = Event::Setting { key: "k".into() };
        let text = to_json(&e).unwrap_or_default();
        assert_eq!(text, r#"{"kind":"setting","key":"k"}"#);
        assert_eq!(from_json::<Event>(&text, "event").ok(), Some(e));
        assert!(matches!(
            from_json::<Event>("{", "change event"),
            Err(StoreError::Corrupt(m)) if m.starts_with("change event: ")
        ));
    }
}
