//! Rules the backends share for greylisting (SEC-3): the triplet key and the decision a
//! triplet's record leads to.
//!
//! Invariants: the key of a client, a sender and a recipient is the same for every client of
//! one IPv4 /24 or IPv6 /64 and for any letter case of the addresses; `decide` is pure, so both
//! backends reach the same verdict from the same record; a record's `expires` is when it may be
//! pruned: the end of the pass window while not passed, `keep` after the last pass once passed.

use std::net::IpAddr;

use crate::model::{GreylistRecord, GreylistTimes, GreylistVerdict};

/// Most expired records (greylist or correspondents) removed by one call.
pub const PRUNE_BATCH: i64 = 32;

/// A passed record's lifetime is renewed only when it would end more than this many seconds
/// (at most a tenth of the lifetime) before a full lifetime from now, so the mail of a busy
/// triplet is judged without a write.
pub const REFRESH_SLACK: i64 = 3600;

/// The triplet's key: the client's network (IPv4 /24, IPv6 /64), the envelope sender and
/// the recipient, lower-cased.
pub fn triplet_key(ip: IpAddr, sender: &str, recipient: &str) -> String {
    let net = match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return triplet_key(IpAddr::V4(v4), sender, recipient);
            }
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    };
    format!(
        "{net} {} {}",
        sender.to_ascii_lowercase(),
        recipient.to_ascii_lowercase()
    )
}

/// What a triplet's attempt at `now` leads to, and the record to write (`None`: leave it).
/// A record passed and still within its lifetime passes and is kept `keep` from now (renewed
/// only when that moves its end by more than [`REFRESH_SLACK`]); one not
/// passed passes when retried after `block` and within `pass` of its first attempt; a record
/// missing, expired or retried too late starts anew.
pub fn decide(
    rec: Option<GreylistRecord>,
    now: i64,
    t: GreylistTimes,
) -> (GreylistVerdict, Option<GreylistRecord>) {
    let fresh = GreylistRecord {
        first_seen: now,
        passed: false,
        expires: now + t.pass,
    };
    let passed = |first_seen| GreylistRecord {
        first_seen,
        passed: true,
        expires: now + t.keep,
    };
    let slack = REFRESH_SLACK.min(t.keep / 10);
    match rec {
        Some(r) if r.passed && now <= r.expires && r.expires >= now + t.keep - slack => {
            (GreylistVerdict::Known, None)
        }
        Some(r) if r.passed && now <= r.expires => {
            (GreylistVerdict::Known, Some(passed(r.first_seen)))
        }
        Some(r) if !r.passed && now < r.first_seen + t.block => (GreylistVerdict::Early, None),
        Some(r) if !r.passed && now <= r.first_seen + t.pass => {
            (GreylistVerdict::Passed, Some(passed(r.first_seen)))
        }
        _ => (GreylistVerdict::New, Some(fresh)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const T: GreylistTimes = GreylistTimes {
        block: 900,
        pass: 21_600,
        keep: 36 * 86_400,
    };

    #[test]
    fn keys_reduce_networks_and_case() {
        let a = triplet_key("192.0.2.7".parse().unwrap(), "A@X.test", "Bob@Y.test");
        let b = triplet_key("192.0.2.200".parse().unwrap(), "a@x.test", "bob@y.test");
        assert_eq!(a, b);
        assert_eq!(a, "192.0.2.0/24 a@x.test bob@y.test");
        let c = triplet_key("192.0.3.7".parse().unwrap(), "a@x.test", "bob@y.test");
        assert_ne!(a, c);
        let v6 = triplet_key("2001:db8:1:2:3::9".parse().unwrap(), "", "b@y.test");
        assert_eq!(v6, "2001:db8:1:2::/64  b@y.test");
        let mapped = triplet_key(
            "::ffff:192.0.2.9".parse().unwrap(),
            "a@x.test",
            "bob@y.test",
        );
        assert_eq!(mapped, a);
    }

    #[test]
    fn block_pass_and_keep() {
        let (v, r) = decide(None, 1000, T);
        assert_eq!(v, GreylistVerdict::New);
        let r = r.unwrap();
        assert_eq!(
            decide(Some(r), 1000 + 899, T),
            (GreylistVerdict::Early, None)
        );
        let (v, p) = decide(Some(r), 1000 + 900, T);
        assert_eq!(v, GreylistVerdict::Passed);
        let p = p.unwrap();
        assert!(p.passed && p.expires == 1900 + T.keep);
        // Just passed: judged without a write; near its end: renewed.
        assert_eq!(
            decide(Some(p), 1900 + 3600, T),
            (GreylistVerdict::Known, None)
        );
        let (v, k) = decide(Some(p), 1901 + 3600, T);
        assert_eq!(v, GreylistVerdict::Known);
        assert_eq!(k.unwrap().expires, 1901 + 3600 + T.keep);
        let (v, k) = decide(Some(p), 1900 + T.keep, T);
        assert_eq!(v, GreylistVerdict::Known);
        assert_eq!(k.unwrap().expires, 1900 + 2 * T.keep);
        assert_eq!(decide(Some(p), 1901 + T.keep, T).0, GreylistVerdict::New);
        let (v, again) = decide(Some(r), 1000 + T.pass + 1, T);
        assert_eq!(v, GreylistVerdict::New);
        assert_eq!(again.unwrap().first_seen, 1000 + T.pass + 1);
        assert!(!GreylistVerdict::Early.passes() && GreylistVerdict::Known.passes());
    }
}
