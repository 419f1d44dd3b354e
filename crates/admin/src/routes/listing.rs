//! Query parameters shared by the list endpoints: `q` (search text), `limit` and `offset`.
//! Without them a list answers in full, as before; with them, one page. The number of
//! matching items is sent in the `X-Total-Count` header either way.
//!
//! Invariant: bad values are 422 naming the parameter; nothing unbounded is allocated from
//! a client's number (limit at most [`MAX_LIMIT`]).

use axum::Json;
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};

/// Largest page.
pub const MAX_LIMIT: u64 = 10_000;

/// `?q=&limit=&offset=` as received.
#[derive(Deserialize, Default)]
pub struct ListParams {
    pub q: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
}

/// Validated list parameters.
#[derive(Debug, PartialEq, Eq)]
pub struct Listing {
    /// Lower-cased search text, `None` when absent or blank.
    pub needle: Option<String>,
    /// Items wanted; `u64::MAX` for all.
    pub limit: u64,
    pub offset: u64,
}

fn number(v: Option<&str>, field: &'static str, max: u64) -> ApiResult<Option<u64>> {
    match v {
        None => Ok(None),
        Some(s) => s
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| *n <= max)
            .map(Some)
            .ok_or_else(|| {
                ApiError::invalid(field, format!("{field} is a number from 0 to {max}"))
            }),
    }
}

impl Listing {
    /// Check the parameters.
    pub fn parse(q: Result<Query<ListParams>, QueryRejection>) -> ApiResult<Self> {
        let Query(p) = q.map_err(|r| ApiError::bad_request(r.body_text()))?;
        let limit = number(p.limit.as_deref(), "limit", MAX_LIMIT)?.unwrap_or(u64::MAX);
        let offset = number(p.offset.as_deref(), "offset", i64::MAX as u64)?.unwrap_or(0);
        let needle =
            p.q.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_lowercase);
        if needle.as_ref().is_some_and(|n| n.chars().count() > 200) {
            return Err(ApiError::invalid("q", "q is at most 200 characters"));
        }
        Ok(Self {
            needle,
            limit,
            offset,
        })
    }

    /// The page of `items` these parameters select.
    pub fn page<T>(&self, items: Vec<T>) -> Vec<T> {
        let skip = usize::try_from(self.offset).unwrap_or(usize::MAX);
        let take = usize::try_from(self.limit).unwrap_or(usize::MAX);
        items.into_iter().skip(skip).take(take).collect()
    }
}

/// A JSON list with its total in `X-Total-Count`.
pub fn answer<T: Serialize>(items: Vec<T>, total: u64) -> Response {
    let mut r = Json(items).into_response();
    if let Ok(v) = HeaderValue::from_str(&total.to_string()) {
        r.headers_mut().insert("x-total-count", v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> ApiResult<Listing> {
        let uri: axum::http::Uri = format!("/x?{q}").parse().expect("uri");
        Listing::parse(Query::try_from_uri(&uri))
    }

    #[test]
    fn parameters() {
        assert_eq!(
            parse("").ok(),
            Some(Listing {
                needle: None,
                limit: u64::MAX,
                offset: 0
            })
        );
        let l = parse("q=%20Bob%20&limit=5&offset=10").ok();
        assert_eq!(
            l,
            Some(Listing {
                needle: Some("bob".into()),
                limit: 5,
                offset: 10
            })
        );
        assert_eq!(
            parse("limit=10001").err().map(|e| e.field),
            Some(Some("limit"))
        );
        assert_eq!(
            parse("limit=-1").err().map(|e| e.field),
            Some(Some("limit"))
        );
        assert_eq!(
            parse("offset=x").err().map(|e| e.field),
            Some(Some("offset"))
        );
        let Ok(l) = parse("limit=2&offset=1") else {
            panic!("valid parameters refused")
        };
        assert_eq!(l.page(vec![1, 2, 3, 4]), vec![2, 3]);
    }
}
