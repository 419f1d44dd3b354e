//! REQUIRETLS (RFC 8689) on the sending side, and its opposite, the `TLS-Required: No`
//! header field (§5).
//!
//! Invariants: a REQUIRETLS message goes only to an MX host covered by DANE or an MTA-STS
//! policy (any mode, applied as `enforce`), over TLS verified by that policy, with no
//! plain-text or unverified fallback; a host not so covered gets a permanent `550 5.7.30`.
//! `TLS-Required: No` is honoured only without REQUIRETLS: policy failures are then reported
//! and the message goes on with opportunistic TLS.

use super::plan::HostPlan;
use crate::client::ClientOptions;

/// The reply for a REQUIRETLS message that cannot be sent as asked (RFC 8689 §6).
pub const REQUIRETLS_FAILED: &str = "550 5.7.30 REQUIRETLS support required";

/// Whether the message's header says `TLS-Required: No` (RFC 8689 §5).
pub fn tls_optional(message: &[u8]) -> bool {
    let end = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(message.len());
    let head = String::from_utf8_lossy(&message[..end]);
    head.split("\r\n").any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("TLS-Required")
                && value.trim().eq_ignore_ascii_case("no")
        })
    })
}

/// The plan for a REQUIRETLS message: the policy's, made strict; `Err` the permanent reply
/// when no policy covers host `name`.
pub fn restrict(mut plan: HostPlan, name: &str) -> Result<HostPlan, String> {
    match &mut plan.held {
        Some(held) => {
            held.strict = true;
            plan.fallback = None;
            Ok(plan)
        }
        None => Err(format!(
            "{REQUIRETLS_FAILED}: {name} is covered by neither DANE nor an MTA-STS policy"
        )),
    }
}

/// The plan for a `TLS-Required: No` message: policy failures fall back to `opts`.
pub fn relax(mut plan: HostPlan, opts: &ClientOptions) -> HostPlan {
    if let Some(held) = &mut plan.held {
        held.strict = false;
        plan.fallback = Some(opts.clone());
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header() {
        assert!(tls_optional(
            b"Subject: x\r\nTLS-Required:  No \r\n\r\nbody"
        ));
        assert!(!tls_optional(b"Subject: x\r\n\r\nTLS-Required: No\r\n"));
        assert!(!tls_optional(b"TLS-Required: yes\r\n\r\n"));
    }
}
