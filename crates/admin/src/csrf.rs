//! CSRF rule: a state-changing request (POST, PUT, PATCH, DELETE) authenticated by the session
//! cookie must carry `X-CSRF-Token` equal to its session's token. Bearer-token requests are
//! exempt (a browser never adds that header by itself). Pure; compared in constant time.

use axum::http::Method;
use subtle::ConstantTimeEq;

/// Name of the request header holding the token.
pub const HEADER: &str = "x-csrf-token";

/// How a request was authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Cookie,
    Bearer,
}

/// Whether the request may proceed: `expected` is the session's token, `sent` the header.
pub fn check(method: &Method, via: Via, expected: &str, sent: Option<&str>) -> bool {
    let changes = matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if !changes || via == Via::Bearer {
        return true;
    }
    match sent {
        Some(s) => !expected.is_empty() && bool::from(s.as_bytes().ct_eq(expected.as_bytes())),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let t = "abc123";
        #[rustfmt::skip]
        let cases: &[(Method, Via, Option<&str>, bool)] = &[
            (Method::GET, Via::Cookie, None, true),
            (Method::HEAD, Via::Cookie, None, true),
            (Method::OPTIONS, Via::Cookie, None, true),
            (Method::POST, Via::Cookie, Some(t), true),
            (Method::POST, Via::Cookie, None, false),
            (Method::POST, Via::Cookie, Some("abc124"), false),
            (Method::POST, Via::Cookie, Some(""), false),
            (Method::POST, Via::Cookie, Some("abc1234"), false),
            (Method::PUT, Via::Cookie, None, false),
            (Method::PATCH, Via::Cookie, None, false),
            (Method::DELETE, Via::Cookie, None, false),
            (Method::DELETE, Via::Cookie, Some(t), true),
            (Method::POST, Via::Bearer, None, true),
            (Method::DELETE, Via::Bearer, Some("wrong"), true),
        ];
        for (m, via, sent, want) in cases {
            assert_eq!(check(m, *via, t, *sent), *want, "{m} {via:?} {sent:?}");
        }
        assert!(
            !check(&Method::POST, Via::Cookie, "", Some("")),
            "an empty token never matches"
        );
    }
}
