//! Spool pages: the waiting messages (searchable, paged; refresh is a reload) with their
//! actions, and one message with its recipients, priority and headers.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use heron_settings::defs;

use crate::auth::Shared;
use crate::authz::Action;
use crate::routes::spool::{SpoolView, header_text, view};
use crate::ui::accounts::when;
use crate::ui::format;
use crate::ui::page::{Chrome, Viewer, html, internal, not_found};
use crate::ui::paging::{ListQuery, Paging, paginate, per_page};

/// A spool entry as listed.
pub struct SpoolRow {
    pub id: i64,
    pub sender: String,
    pub recipients: String,
    /// The message's size as a person reads it.
    pub size: String,
    pub priority: u8,
    pub attempts: u32,
    pub next: String,
    pub delivering: bool,
}

#[derive(Template)]
#[template(path = "spool.html")]
struct SpoolPage {
    chrome: Chrome,
    rows: Vec<SpoolRow>,
    paging: Paging,
}

/// `/spool?q=&page=`.
pub async fn list(State(st): State<Shared>, v: Viewer, Query(q): Query<ListQuery>) -> Response {
    if let Err(r) = v.require(&Action::Spool) {
        return r;
    }
    let mut all = match st.dir.store().spool_list().await {
        Ok(e) => e,
        Err(e) => return internal(e),
    };
    if let Some(n) = q.needle() {
        all.retain(|e| {
            e.sender.to_lowercase().contains(&n)
                || e.recipients
                    .iter()
                    .any(|r| r.address.to_lowercase().contains(&n))
        });
    }
    let per = per_page(st.dir.settings().get(defs::ADMIN_ITEMS_PER_PAGE));
    let (page, paging) = paginate(
        all,
        q.page(),
        per,
        "/spool",
        q.q.as_deref().unwrap_or("").trim(),
    );
    let rows = page
        .iter()
        .map(|e| {
            let v = view(e);
            SpoolRow {
                id: v.id,
                sender: if v.sender.is_empty() {
                    "<>".to_owned()
                } else {
                    v.sender
                },
                recipients: v
                    .recipients
                    .iter()
                    .map(|r| r.address.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                size: format::size(v.size),
                priority: v.priority,
                attempts: v.attempts,
                next: when(Some(v.next_attempt_at)),
                delivering: v.delivering,
            }
        })
        .collect();
    html(&SpoolPage {
        chrome: v.chrome("spool"),
        rows,
        paging,
    })
}

#[derive(Template)]
#[template(path = "spool_entry.html")]
struct EntryPage {
    chrome: Chrome,
    e: SpoolView,
    /// "334 bytes, 1 attempt".
    summary: String,
    created: String,
    next: String,
    headers: String,
}

/// `/spool/{id}`.
pub async fn show(State(st): State<Shared>, v: Viewer, Path(id): Path<String>) -> Response {
    if let Err(r) = v.require(&Action::Spool) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&v, "A spool id is a number.");
    };
    let store = st.dir.store();
    let e = match store.spool_get(id).await {
        Ok(Some(e)) => e,
        Ok(None) => return not_found(&v, format!("There is no message {id} in the spool.")),
        Err(e) => return internal(e),
    };
    let bytes = match store.spool_read(&e).await {
        Ok(b) => b,
        Err(e) => return internal(e),
    };
    let e = view(&e);
    html(&EntryPage {
        summary: format!(
            "{}, {}",
            format::size(e.size),
            format::count(u64::from(e.attempts), "attempt", "attempts")
        ),
        chrome: v.chrome("spool"),
        created: when(Some(e.created_at)),
        next: when(Some(e.next_attempt_at)),
        headers: header_text(&bytes),
        e,
    })
}
