//! Why a DNS lookup failed, reduced to what the scheduler acts on: the name does not exist
//! (bounce after a few tries) or the answer could not be had right now (retry).
//!
//! Invariant: only an authoritative-looking "no such name" (NXDOMAIN) or "no records of this
//! type" (NOERROR with an empty answer) becomes [`DnsError::NotFound`]; every transport
//! failure, timeout, SERVFAIL, REFUSED or malformed answer is [`DnsError::Temporary`].

use hickory_resolver::net::{DnsError as WireError, NetError};
use hickory_resolver::proto::op::ResponseCode;

/// A failed DNS lookup, or a resolver that could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    /// The name does not exist, or has no records of the type asked for (and, for mail
    /// routing, no address to fall back to). The text names the query.
    #[error("DNS: {0}")]
    NotFound(String),
    /// The lookup could not be completed now: timeout, SERVFAIL, REFUSED, network error.
    #[error("DNS temporary failure: {0}")]
    Temporary(String),
    /// The resolver configuration is unusable (a bad server address, an unreadable
    /// resolv.conf). Only [`super::Dns::new`] returns it.
    #[error("DNS configuration: {0}")]
    Config(String),
}

impl DnsError {
    /// True for [`DnsError::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, DnsError::NotFound(_))
    }

    /// True for [`DnsError::Temporary`].
    pub fn is_temporary(&self) -> bool {
        matches!(self, DnsError::Temporary(_))
    }
}

/// What one lookup's failure means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// NXDOMAIN: the name does not exist (RFC 1035 §4.1.1 RCODE 3).
    NxDomain,
    /// NOERROR with no records of the type asked for ("NODATA", RFC 2308 §2.2).
    NoData,
    /// Anything else; the text says what.
    Temporary(String),
}

impl Failure {
    /// The public error for this failure of the query `what` (e.g. `"MX example.com"`).
    pub(crate) fn into_error(self, what: &str) -> DnsError {
        match self {
            Failure::NxDomain => DnsError::NotFound(format!("{what}: no such domain (NXDOMAIN)")),
            Failure::NoData => DnsError::NotFound(format!("{what}: no records")),
            Failure::Temporary(why) => DnsError::Temporary(format!("{what}: {why}")),
        }
    }
}

/// Sorts a resolver error into [`Failure`].
pub(crate) fn classify(err: &NetError) -> Failure {
    match err {
        NetError::Dns(WireError::NoRecordsFound(nr)) => match nr.response_code {
            ResponseCode::NXDomain => Failure::NxDomain,
            ResponseCode::NoError => Failure::NoData,
            other => Failure::Temporary(format!("server answered {other}")),
        },
        NetError::Dns(WireError::ResponseCode(code)) => {
            Failure::Temporary(format!("server answered {code}"))
        }
        NetError::Timeout => Failure::Temporary("timed out".to_owned()),
        other => Failure::Temporary(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_resolver::net::NoRecords;
    use hickory_resolver::proto::op::Query;
    use hickory_resolver::proto::rr::{Name, RecordType};

    fn no_records(code: ResponseCode) -> NetError {
        let query = Query::query(Name::root(), RecordType::MX);
        NetError::Dns(WireError::NoRecordsFound(NoRecords::new(query, code)))
    }

    #[test]
    fn nxdomain_and_nodata_are_not_found() {
        assert_eq!(
            classify(&no_records(ResponseCode::NXDomain)),
            Failure::NxDomain
        );
        assert_eq!(
            classify(&no_records(ResponseCode::NoError)),
            Failure::NoData
        );
        assert!(Failure::NxDomain.into_error("MX a.test").is_not_found());
        assert!(Failure::NoData.into_error("MX a.test").is_not_found());
    }

    #[test]
    fn servfail_refused_timeout_are_temporary() {
        for err in [
            NetError::Dns(WireError::ResponseCode(ResponseCode::ServFail)),
            NetError::Dns(WireError::ResponseCode(ResponseCode::Refused)),
            NetError::Timeout,
            NetError::NoConnections,
        ] {
            let f = classify(&err);
            assert!(matches!(f, Failure::Temporary(_)), "{err}: {f:?}");
            assert!(f.into_error("A a.test").is_temporary());
        }
    }

    #[test]
    fn display_names_the_query() {
        let e = Failure::NxDomain.into_error("MX nowhere.test");
        assert_eq!(
            e.to_string(),
            "DNS: MX nowhere.test: no such domain (NXDOMAIN)"
        );
        let e = Failure::Temporary("timed out".into()).into_error("A mx.test");
        assert_eq!(e.to_string(), "DNS temporary failure: A mx.test: timed out");
    }
}
