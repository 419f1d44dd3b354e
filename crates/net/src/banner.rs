//! PROTO-1 banners: a template with `#HostName#`, `#ConnectedIP#`, `#Time#`, `#TimeUTC#` and
//! `#UnixTime#` replaced for one connection. The result is always a single line.

use std::net::IpAddr;

use chrono::{DateTime, Local, Utc};

/// Fill a banner template for a connection.
pub fn render(template: &str, hostname: &str, peer: IpAddr, now: DateTime<Utc>) -> String {
    let local: DateTime<Local> = now.with_timezone(&Local);
    template
        .replace("#HostName#", hostname)
        .replace("#ConnectedIP#", &peer.to_string())
        .replace(
            "#Time#",
            &local.format("%a, %d %b %Y %H:%M:%S %z").to_string(),
        )
        .replace(
            "#TimeUTC#",
            &now.format("%a, %d %b %Y %H:%M:%S +0000").to_string(),
        )
        .replace("#UnixTime#", &now.timestamp().to_string())
        .replace(['\r', '\n', '\0'], " ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn all_variables() {
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let b = render(
            "#HostName# #ConnectedIP# [#TimeUTC#] #UnixTime# #Time#",
            "mx.test",
            "192.0.2.1".parse().unwrap(),
            now,
        );
        assert!(
            b.starts_with("mx.test 192.0.2.1 [Tue, 14 Nov 2023 22:13:20 +0000] 1700000000 "),
            "{b}"
        );
        assert!(!b.contains('#'));
    }
}
