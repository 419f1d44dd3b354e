//! The Blocks page (SEC-7): the blocks the abuse rules placed (failed logins per IP and per
//! account, harvesting per IP), each with a button to lift it, per IP a button to blacklist
//! the IP (`security.ip_blacklist`, lifting the block) and per account one to disable the
//! user. The page reads what `GET /api/v1/blocks` answers; its buttons call the API.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use heron_directory::blocks::{AUTH_ACCOUNT, SENDING};

use crate::auth::Shared;
use crate::authz::Action;
use crate::routes::blocks::{BlockView, blocks};
use crate::ui::page::{Chrome, Viewer, html, internal};

#[derive(Template)]
#[template(path = "blocks.html")]
struct Blocks {
    chrome: Chrome,
    rows: Vec<Row>,
}

struct Row {
    b: BlockView,
    /// The key is an account (a login name), not an IP.
    account: bool,
}

/// `/blocks`.
pub async fn blocks_page(State(st): State<Shared>, v: Viewer) -> Response {
    if let Err(r) = v.require(&Action::Connections) {
        return r;
    }
    let rows = match blocks(&st).await {
        Ok(all) => all
            .into_iter()
            .map(|b| Row {
                account: b.kind == AUTH_ACCOUNT || b.kind == SENDING,
                b,
            })
            .collect(),
        Err(e) => return internal(e.error),
    };
    html(&Blocks {
        chrome: v.chrome("blocks"),
        rows,
    })
}
