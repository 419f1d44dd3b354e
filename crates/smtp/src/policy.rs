//! Who may do what over SMTP (PROTO-5, SEC-1, SEC-4, SEC-6): pure decisions over facts the
//! session gathered, so every rule is table-tested without a socket.
//!
//! Invariant: with the default settings nobody can relay without authenticating; the only
//! ways around it are explicit (whitelisted or bypass IPs, the "anyone" policy, or the
//! "local-domains" policy for senders of hosted domains).

/// PROTO-5 relay choices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelayPolicy {
    Nobody,
    LocalUsers,
    LocalDomains,
    Anyone,
}

impl RelayPolicy {
    /// From the `smtp_in.relay` setting value.
    pub fn parse(v: &str) -> Self {
        match v {
            "nobody" => RelayPolicy::Nobody,
            "local-domains" => RelayPolicy::LocalDomains,
            "anyone" => RelayPolicy::Anyone,
            _ => RelayPolicy::LocalUsers,
        }
    }
}

/// What is known about a session when a relay is asked for.
#[derive(Clone, Copy, Debug, Default)]
pub struct RelayFacts {
    /// The client authenticated.
    pub authenticated: bool,
    /// "Relay settings do not apply to authenticated sessions".
    pub auth_bypasses_relay: bool,
    /// The client IP is on the SEC-1 whitelist.
    pub whitelisted: bool,
    /// The client IP may send without AUTH (SEC-6) or is a submission safe IP.
    pub bypass_ip: bool,
    /// The envelope sender's domain is hosted here.
    pub sender_is_local: bool,
}

/// May this session send to a recipient outside the hosted domains?
pub fn may_relay(policy: RelayPolicy, f: RelayFacts) -> bool {
    if f.whitelisted || f.bypass_ip {
        return true;
    }
    if f.authenticated && f.auth_bypasses_relay {
        return true;
    }
    match policy {
        RelayPolicy::Nobody => false,
        RelayPolicy::LocalUsers => f.authenticated,
        RelayPolicy::LocalDomains => f.authenticated || f.sender_is_local,
        RelayPolicy::Anyone => true,
    }
}

/// SEC-4: whether `sender` (an address, lower-case) matches a blocked-senders entry. Entries
/// are addresses or domains; `*` matches any run of characters. A bare domain entry matches
/// every address of that domain.
pub fn sender_blocked(entries: &[String], sender: &str) -> bool {
    let sender = sender.to_lowercase();
    let domain = sender.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
    entries.iter().any(|e| {
        let e = e.trim().to_lowercase();
        if e.contains('@') {
            glob(&e, &sender)
        } else {
            glob(&e, domain)
        }
    })
}

/// `*`-only wildcard match, iterative (no recursion blow-up on hostile patterns).
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_table() {
        let none = RelayFacts::default();
        let auth = RelayFacts {
            authenticated: true,
            ..none
        };
        let auth_no_bypass = RelayFacts {
            authenticated: true,
            auth_bypasses_relay: false,
            ..none
        };
        let auth_bypass = RelayFacts {
            authenticated: true,
            auth_bypasses_relay: true,
            ..none
        };
        let local_sender = RelayFacts {
            sender_is_local: true,
            ..none
        };
        for p in [
            RelayPolicy::Nobody,
            RelayPolicy::LocalUsers,
            RelayPolicy::LocalDomains,
        ] {
            assert!(!may_relay(p, none), "{p:?}: anonymous");
            assert!(
                may_relay(
                    p,
                    RelayFacts {
                        whitelisted: true,
                        ..none
                    }
                ),
                "{p:?}: whitelisted"
            );
            assert!(
                may_relay(
                    p,
                    RelayFacts {
                        bypass_ip: true,
                        ..none
                    }
                ),
                "{p:?}: bypass ip"
            );
            assert!(may_relay(p, auth_bypass), "{p:?}: auth with bypass");
        }
        assert!(!may_relay(RelayPolicy::Nobody, auth_no_bypass));
        assert!(may_relay(RelayPolicy::LocalUsers, auth));
        assert!(
            !may_relay(RelayPolicy::LocalUsers, local_sender),
            "forged local sender"
        );
        assert!(may_relay(RelayPolicy::LocalDomains, local_sender));
        assert!(may_relay(RelayPolicy::Anyone, none));
        assert_eq!(RelayPolicy::parse("bogus"), RelayPolicy::LocalUsers);
    }

    #[test]
    fn blocked_senders() {
        let e: Vec<String> = ["spam.test", "*@bad.test", "joe*@x.test", "*.evil.test"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert!(sender_blocked(&e, "a@spam.test"));
        assert!(sender_blocked(&e, "A@BAD.test"));
        assert!(sender_blocked(&e, "joey@x.test"));
        assert!(!sender_blocked(&e, "ann@x.test"));
        assert!(sender_blocked(&e, "u@mx.evil.test"));
        assert!(!sender_blocked(&e, "u@evil.test"));
        assert!(!sender_blocked(&e, "u@notspam.test"));
        assert!(!sender_blocked(&[], "a@b.test"));
        assert!(glob("a*b*c", "axxbyyc") && !glob("a*b*c", "axxbyy") && glob("*", ""));
    }
}
