//! Who may do what (DOM-13 roles), as one pure function over the caller and the action, so
//! the whole policy is one table and one table test.
//!
//! Invariants: a caller who must change their password may only change it or log out;
//! a domain administrator reaches only users and aliases of their own domain (names
//! compared lower-case); server-wide things (domains list and changes, settings, spool,
//! tokens, live connections, services, logs) are the system administrator's; API tokens act
//! as the system administrator but cannot make more tokens. Actions that take an optional
//! domain (`None` = every domain) let a domain administrator act on their own domain only.

/// The authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// The system administrator, logged in with a session.
    SystemAdmin,
    /// A bearer API token (acts as the system administrator).
    ApiToken,
    /// A user with the domain-admin role of `domain` (lower-case).
    DomainAdmin { domain: String },
    /// Any other user.
    User,
}

impl Principal {
    /// The role as the API names it.
    pub fn role(&self) -> &'static str {
        match self {
            Principal::SystemAdmin | Principal::ApiToken => "system-admin",
            Principal::DomainAdmin { .. } => "domain-admin",
            Principal::User => "user",
        }
    }
}

/// What a request wants to do. Domain names are lower-case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Logout,
    ChangePassword,
    Me,
    ListDomains,
    CreateDomain,
    ReadDomain(String),
    ChangeDomain(String),
    /// List, create, read, change or delete users and aliases of a domain.
    ManageAccounts(String),
    /// Give a user a role (domain-admin or user).
    SetRole(String),
    Settings,
    Spool,
    CreateToken,
    /// Act as a user or domain administrator (DOM-13): the system administrator's own
    /// logged-in session only.
    Impersonate,
    Tokens,
    /// List live mail sessions, end them, blacklist their peers.
    Connections,
    /// See who is online or inactive: in one domain, or (`None`) in all.
    UserActivity(Option<String>),
    /// Start and stop services.
    Services,
    /// Read and download the log files.
    Logs,
    /// Read the statistics (OPS-3) of one domain and its users, or (`None`) of the server and
    /// every domain.
    Statistics(Option<String>),
    /// Send a message to the users of one domain, or (`None`) to users of any domain.
    SendMessage(Option<String>),
    /// Set chosen fields of every domain to the domain defaults (DOM-12).
    PropagateDomainDefaults,
    /// Change the spam-filter settings of a domain or of one of its users (FILTER-3); the
    /// flag says whether the server lets domains (or users) have their own.
    OwnFilter(String, bool),
}

/// Why an action is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denied {
    /// First login: the password must be changed before anything else.
    MustChangePassword,
    /// The caller's role does not allow it.
    NotPermitted,
}

/// Decide whether `who` (with `must_change` pending) may do `action`.
pub fn decide(who: &Principal, must_change: bool, action: &Action) -> Result<(), Denied> {
    use Action::*;
    if matches!(action, Logout | ChangePassword) {
        return Ok(());
    }
    if must_change {
        return Err(Denied::MustChangePassword);
    }
    let admin = matches!(who, Principal::SystemAdmin | Principal::ApiToken);
    let own = |d: &str| matches!(who, Principal::DomainAdmin { domain } if domain == d);
    let ok = match action {
        Logout | ChangePassword | Me => true,
        CreateToken | Impersonate => *who == Principal::SystemAdmin,
        ListDomains | CreateDomain | ChangeDomain(_) | SetRole(_) | Settings | Spool | Tokens
        | Connections | Services | Logs => admin,
        PropagateDomainDefaults => admin,
        OwnFilter(d, permitted) => admin || (*permitted && own(d)),
        ReadDomain(d) | ManageAccounts(d) => admin || own(d),
        UserActivity(scope) | SendMessage(scope) | Statistics(scope) => match scope {
            Some(d) => admin || own(d),
            None => admin,
        },
    };
    if ok {
        Ok(())
    } else {
        Err(Denied::NotPermitted)
    }
}

#[cfg(test)]
mod tests {
    use super::Action::*;
    use super::Denied::*;
    use super::*;

    fn da(d: &str) -> Principal {
        Principal::DomainAdmin { domain: d.into() }
    }

    #[test]
    fn table() {
        let sys = Principal::SystemAdmin;
        let tok = Principal::ApiToken;
        let user = Principal::User;
        let a = || "a.test".to_string();
        let b = || "b.test".to_string();
        #[rustfmt::skip]
        let cases: Vec<(Principal, bool, Action, Result<(), Denied>)> = vec![
            // The system administrator may do everything.
            (sys.clone(), false, ListDomains, Ok(())),
            (sys.clone(), false, CreateDomain, Ok(())),
            (sys.clone(), false, ChangeDomain(a()), Ok(())),
            (sys.clone(), false, ManageAccounts(b()), Ok(())),
            (sys.clone(), false, SetRole(a()), Ok(())),
            (sys.clone(), false, Settings, Ok(())),
            (sys.clone(), false, Spool, Ok(())),
            (sys.clone(), false, CreateToken, Ok(())),
            (sys.clone(), false, Impersonate, Ok(())),
            (sys.clone(), true, Impersonate, Err(MustChangePassword)),
            (sys.clone(), false, Tokens, Ok(())),
            // ... but first changes the default password.
            (sys.clone(), true, ListDomains, Err(MustChangePassword)),
            (sys.clone(), true, Me, Err(MustChangePassword)),
            (sys.clone(), true, Settings, Err(MustChangePassword)),
            (sys.clone(), true, ChangePassword, Ok(())),
            (sys.clone(), true, Logout, Ok(())),
            // Tokens act as the system administrator, without making more tokens.
            (tok.clone(), false, Settings, Ok(())),
            (tok.clone(), false, ManageAccounts(a()), Ok(())),
            (tok.clone(), false, Tokens, Ok(())),
            (tok.clone(), false, CreateToken, Err(NotPermitted)),
            (tok.clone(), false, Impersonate, Err(NotPermitted)),
            // A domain administrator: their own domain's accounts only.
            (da("a.test"), false, ReadDomain(a()), Ok(())),
            (da("a.test"), false, ManageAccounts(a()), Ok(())),
            (da("a.test"), false, Me, Ok(())),
            (da("a.test"), false, ReadDomain(b()), Err(NotPermitted)),
            (da("a.test"), false, ManageAccounts(b()), Err(NotPermitted)),
            (da("a.test"), false, ChangeDomain(a()), Err(NotPermitted)),
            (da("a.test"), false, SetRole(a()), Err(NotPermitted)),
            (da("a.test"), false, ListDomains, Err(NotPermitted)),
            (da("a.test"), false, CreateDomain, Err(NotPermitted)),
            (da("a.test"), false, Settings, Err(NotPermitted)),
            (da("a.test"), false, Spool, Err(NotPermitted)),
            (da("a.test"), false, Tokens, Err(NotPermitted)),
            (da("a.test"), false, CreateToken, Err(NotPermitted)),
            (da("a.test"), false, Impersonate, Err(NotPermitted)),
            // ... and their own domain's filter settings while the server permits them.
            (da("a.test"), false, OwnFilter(a(), true), Ok(())),
            (da("a.test"), false, OwnFilter(a(), false), Err(NotPermitted)),
            (da("a.test"), false, OwnFilter(b(), true), Err(NotPermitted)),
            (sys.clone(), false, OwnFilter(a(), false), Ok(())),
            (user.clone(), false, OwnFilter(a(), true), Err(NotPermitted)),
            // A user: themselves only.
            (user.clone(), false, Me, Ok(())),
            (user.clone(), false, ChangePassword, Ok(())),
            (user.clone(), false, Logout, Ok(())),
            (user.clone(), false, ReadDomain(a()), Err(NotPermitted)),
            (user.clone(), false, ManageAccounts(a()), Err(NotPermitted)),
            (user.clone(), false, ListDomains, Err(NotPermitted)),
            (user.clone(), false, Settings, Err(NotPermitted)),
            (user.clone(), false, Spool, Err(NotPermitted)),
            (user.clone(), false, Tokens, Err(NotPermitted)),
        ];
        check(cases);
    }

    fn check(cases: Vec<(Principal, bool, Action, Result<(), Denied>)>) {
        for (who, must, action, want) in cases {
            assert_eq!(
                decide(&who, must, &action),
                want,
                "{who:?} must_change={must} {action:?}"
            );
        }
    }

    #[test]
    fn operations() {
        let sys = Principal::SystemAdmin;
        let tok = Principal::ApiToken;
        let user = Principal::User;
        let a = || Some("a.test".to_string());
        let b = || Some("b.test".to_string());
        #[rustfmt::skip]
        let cases: Vec<(Principal, bool, Action, Result<(), Denied>)> = vec![
            // Server-wide operations: the system administrator and tokens only.
            (sys.clone(), false, Connections, Ok(())),
            (sys.clone(), false, Services, Ok(())),
            (sys.clone(), false, Logs, Ok(())),
            (sys.clone(), false, UserActivity(None), Ok(())),
            (sys.clone(), false, UserActivity(b()), Ok(())),
            (sys.clone(), false, SendMessage(None), Ok(())),
            (sys.clone(), false, SendMessage(a()), Ok(())),
            (sys.clone(), true, Connections, Err(MustChangePassword)),
            (sys.clone(), true, SendMessage(None), Err(MustChangePassword)),
            (tok.clone(), false, Connections, Ok(())),
            (tok.clone(), false, Services, Ok(())),
            (tok.clone(), false, Logs, Ok(())),
            (tok.clone(), false, UserActivity(None), Ok(())),
            (tok.clone(), false, SendMessage(None), Ok(())),
            // A domain administrator: their own domain's activity and messages only.
            (da("a.test"), false, UserActivity(a()), Ok(())),
            (da("a.test"), false, SendMessage(a()), Ok(())),
            (da("a.test"), false, UserActivity(b()), Err(NotPermitted)),
            (da("a.test"), false, SendMessage(b()), Err(NotPermitted)),
            (da("a.test"), false, UserActivity(None), Err(NotPermitted)),
            (da("a.test"), false, SendMessage(None), Err(NotPermitted)),
            (da("a.test"), false, Connections, Err(NotPermitted)),
            (da("a.test"), false, Services, Err(NotPermitted)),
            (da("a.test"), false, Logs, Err(NotPermitted)),
            // A user: none of it.
            (user.clone(), false, Connections, Err(NotPermitted)),
            (user.clone(), false, Services, Err(NotPermitted)),
            (user.clone(), false, Logs, Err(NotPermitted)),
            (user.clone(), false, UserActivity(None), Err(NotPermitted)),
            (user.clone(), false, UserActivity(a()), Err(NotPermitted)),
            (user.clone(), false, SendMessage(None), Err(NotPermitted)),
            (user.clone(), false, SendMessage(a()), Err(NotPermitted)),
            // Statistics: the server's for administrators, a domain's for its administrator.
            (sys.clone(), false, Statistics(None), Ok(())),
            (tok.clone(), false, Statistics(b()), Ok(())),
            (da("a.test"), false, Statistics(a()), Ok(())),
            (da("a.test"), false, Statistics(b()), Err(NotPermitted)),
            (da("a.test"), false, Statistics(None), Err(NotPermitted)),
            (user.clone(), false, Statistics(a()), Err(NotPermitted)),
        ];
        check(cases);
    }

    #[test]
    fn domain_defaults() {
        #[rustfmt::skip]
        let cases: Vec<(Principal, bool, Action, Result<(), Denied>)> = vec![
            // Pushing the defaults to every domain is server-wide.
            (Principal::SystemAdmin, false, PropagateDomainDefaults, Ok(())),
            (Principal::ApiToken, false, PropagateDomainDefaults, Ok(())),
            (Principal::SystemAdmin, true, PropagateDomainDefaults, Err(MustChangePassword)),
            (da("a.test"), false, PropagateDomainDefaults, Err(NotPermitted)),
            (Principal::User, false, PropagateDomainDefaults, Err(NotPermitted)),
        ];
        check(cases);
    }
}
