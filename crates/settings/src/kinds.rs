//! Setting types: how a value is validated and normalised when set, and how it is read back
//! typed. A stored value always passed [`Kind::normalise`], so reading it cannot fail.

use std::marker::PhantomData;
use std::time::Duration;

/// Log levels of OPS-2, from quietest to loudest.
pub const LEVELS: &[&str] = &["none", "exceptions", "normal", "detailed"];

/// What happens to mail at a spam level (FILTER-3).
pub const SPAM_ACTIONS: &[&str] = &["deliver", "subject", "header", "junk", "delete", "bounce"];

/// The type of a setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `true` / `false` (also accepts on/off, yes/no, 1/0).
    Bool,
    /// A non-negative whole number.
    Count,
    /// A whole number that may be negative (a spam weight: a check that passes may lower it).
    Weight,
    /// A number of seconds.
    Seconds,
    /// Free text (one line).
    Text,
    /// Comma- or newline-separated entries.
    List,
    /// One of a fixed set of words.
    Choice(&'static [&'static str]),
}

/// One setting's definition.
#[derive(Debug)]
pub struct Def {
    pub key: &'static str,
    pub kind: Kind,
    pub default: &'static str,
    /// One-line meaning, from the doc comment in the table.
    pub doc: &'static str,
}

/// A typed handle on one setting.
#[derive(Debug)]
pub struct Key<T> {
    pub name: &'static str,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for Key<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Key<T> {}

impl<T> Key<T> {
    /// Used by the definitions table.
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            _t: PhantomData,
        }
    }
}

/// Rust types a setting reads as.
pub trait FromSetting: Sized {
    /// Parse a normalised value.
    fn from_setting(v: &str) -> Option<Self>;
}

impl FromSetting for bool {
    fn from_setting(v: &str) -> Option<Self> {
        parse_bool(v)
    }
}
impl FromSetting for u64 {
    fn from_setting(v: &str) -> Option<Self> {
        v.trim().parse().ok()
    }
}
impl FromSetting for i64 {
    fn from_setting(v: &str) -> Option<Self> {
        v.trim().parse().ok()
    }
}
impl FromSetting for Duration {
    fn from_setting(v: &str) -> Option<Self> {
        v.trim().parse().ok().map(Duration::from_secs)
    }
}
impl FromSetting for String {
    fn from_setting(v: &str) -> Option<Self> {
        Some(v.to_owned())
    }
}
impl FromSetting for Vec<String> {
    fn from_setting(v: &str) -> Option<Self> {
        Some(split_list(v))
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "1" => Some(true),
        "false" | "off" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// Entries of a list value: split on commas and newlines, trimmed, empties dropped.
pub fn split_list(v: &str) -> Vec<String> {
    v.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Kind {
    /// Check a value and return its canonical text, or say what is wrong.
    pub fn normalise(self, v: &str) -> Result<String, String> {
        if v.contains(['\r', '\0']) || (self != Kind::List && v.contains('\n')) {
            return Err("must be a single line without control characters".into());
        }
        match self {
            Kind::Bool => parse_bool(v)
                .map(|b| b.to_string())
                .ok_or_else(|| "must be true or false".into()),
            Kind::Count | Kind::Seconds => v
                .trim()
                .parse::<u64>()
                .map(|n| n.to_string())
                .map_err(|_| "must be a whole number ≥ 0".into()),
            Kind::Weight => v
                .trim()
                .parse::<i64>()
                .map(|n| n.to_string())
                .map_err(|_| "must be a whole number (negative allowed)".into()),
            Kind::Text => Ok(v.trim().to_owned()),
            Kind::List => Ok(split_list(v).join(", ")),
            Kind::Choice(words) => {
                let w = v.trim().to_ascii_lowercase();
                if words.contains(&w.as_str()) {
                    Ok(w)
                } else {
                    Err(format!("must be one of: {}", words.join(", ")))
                }
            }
        }
    }

    /// Short type name for listings.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Bool => "bool",
            Kind::Count => "number",
            Kind::Seconds => "seconds",
            Kind::Weight => "weight",
            Kind::Text => "text",
            Kind::List => "list",
            Kind::Choice(_) => "choice",
        }
    }
}

/// Maps a kind name of the table to the Rust type its key reads as.
#[doc(hidden)]
#[macro_export]
macro_rules! __setting_type {
    (Bool) => { bool };
    (Count) => { u64 };
    (Seconds) => { ::std::time::Duration };
    (Weight) => { i64 };
    (Text) => { ::std::string::String };
    (List) => { ::std::vec::Vec<::std::string::String> };
    (Choice) => { ::std::string::String };
}

/// The definitions table: `/// doc` then `NAME: Kind = "key", "default";` per setting.
/// Generates one typed [`Key`] constant per entry and `DEFS`, the list of all of them.
#[macro_export]
macro_rules! settings {
    ($( $(#[doc = $doc:literal])* $name:ident : $kind:ident $(($arg:expr))? = $key:literal, $default:literal; )*) => {
        $(
            $(#[doc = $doc])*
            pub const $name: $crate::kinds::Key<$crate::__setting_type!($kind)> =
                $crate::kinds::Key::new($key);
        )*
        /// Every setting, in table order.
        pub static DEFS: &[$crate::kinds::Def] = &[$(
            $crate::kinds::Def {
                key: $key,
                kind: $crate::kinds::Kind::$kind $(($arg))?,
                default: $default,
                doc: concat!($($doc),*),
            },
        )*];
    };
}
