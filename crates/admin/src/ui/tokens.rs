//! The API tokens page: the system administrator makes and revokes bearer tokens here.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::auth::Shared;
use crate::authz::Action;
use crate::ui::accounts::when;
use crate::ui::page::{Chrome, Viewer, html, internal};

#[derive(Template)]
#[template(path = "tokens.html")]
struct Tokens {
    chrome: Chrome,
    /// (name, id, created)
    rows: Vec<(String, i64, String)>,
}

/// `/tokens`.
pub async fn list(State(st): State<Shared>, v: Viewer) -> Response {
    if let Err(r) = v.require(&Action::CreateToken) {
        return r;
    }
    let tokens = match st.dir.store().list_tokens().await {
        Ok(t) => t,
        Err(e) => return internal(e),
    };
    html(&Tokens {
        chrome: v.chrome("tokens"),
        rows: tokens
            .into_iter()
            .map(|t| (t.name, t.id, when(Some(t.created_at))))
            .collect(),
    })
}
