//! The mass-messaging page (OPS-4): one form, sent through `POST /api/v1/messages`.

use askama::Template;
use axum::response::Response;

use crate::authz::Action;
use crate::ui::page::{Chrome, Viewer, html};

#[derive(Template)]
#[template(path = "messages.html")]
struct Messages {
    chrome: Chrome,
    /// The system administrator may write to everyone; a domain administrator to their domain.
    system: bool,
    domain: String,
}

/// `/messages`.
pub async fn messages_page(v: Viewer) -> Response {
    let scope = v.own_domain().map(str::to_owned);
    if let Err(r) = v.require(&Action::SendMessage(scope.clone())) {
        return r;
    }
    html(&Messages {
        chrome: v.chrome("messages"),
        system: scope.is_none(),
        domain: scope.unwrap_or_default(),
    })
}
