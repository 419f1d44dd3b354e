//! Logging in and the forced first password change.

use askama::Template;
use axum::extract::{Request, State};
use axum::response::Response;
use heron_directory::policy::PasswordPolicy;

use crate::auth::Shared;
use crate::ui::page::{Chrome, PendingViewer, html, theme};

#[derive(Template)]
#[template(path = "login.html")]
struct Login {
    chrome: Chrome,
}

/// The login page (anyone).
pub async fn login(req: Request) -> Response {
    let (parts, _) = req.into_parts();
    html(&Login {
        chrome: Chrome::anonymous(theme(&parts)),
    })
}

#[derive(Template)]
#[template(path = "password.html")]
struct Password {
    chrome: Chrome,
    must_change: bool,
    policy: String,
}

/// The password rules in words, for the help text next to a password field.
pub fn describe(p: &PasswordPolicy) -> String {
    let mut rules = Vec::new();
    if p.min_length > 0 {
        rules.push(format!("at least {} characters", p.min_length));
    }
    for (on, what) in [
        (p.require_digit, "a digit"),
        (p.require_upper, "an upper-case letter"),
        (p.require_lower, "a lower-case letter"),
        (p.require_symbol, "a symbol"),
    ] {
        if on {
            rules.push(format!("contains {what}"));
        }
    }
    if p.not_username {
        rules.push("not the user name".to_owned());
    }
    if rules.is_empty() {
        "Any password is accepted.".to_owned()
    } else {
        format!("Passwords must be: {}.", rules.join(", "))
    }
}

/// Change one's own password (the only page open while it must change).
pub async fn password(State(st): State<Shared>, PendingViewer(v): PendingViewer) -> Response {
    html(&Password {
        chrome: v.chrome("password"),
        must_change: v.must_change,
        policy: describe(&st.dir.password_policy()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_in_words() {
        let p = PasswordPolicy {
            min_length: 8,
            require_digit: true,
            not_username: true,
            ..PasswordPolicy::default()
        };
        assert_eq!(
            describe(&p),
            "Passwords must be: at least 8 characters, contains a digit, not the user name."
        );
        assert_eq!(
            describe(&PasswordPolicy::default()),
            "Any password is accepted."
        );
    }
}
