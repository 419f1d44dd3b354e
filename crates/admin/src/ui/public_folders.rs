//! A domain's "Public folders" tab (DOM-5): its public folders with their messages and
//! rights, a form per folder to set one grantee's rights, the add form and a delete button;
//! every change goes through `/api/v1/domains/{name}/public-folders`.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use crate::auth::Shared;
use crate::authz::Action;
use crate::ui::domains::domain_for;
use crate::ui::format;
use crate::ui::page::{Chrome, Viewer, html, internal};
use crate::ui::paging::encode;

/// A public folder as listed.
pub struct FolderRow {
    pub name: String,
    /// The name as one percent-encoded path segment of the API's URLs.
    pub segment: String,
    pub messages: u32,
    /// Its bytes, as a person reads them.
    pub size: String,
    /// (grantee, rights) entries, `anyone` first.
    pub rights: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "public_folders.html")]
struct PublicFolders {
    chrome: Chrome,
    name: String,
    tab: &'static str,
    rows: Vec<FolderRow>,
}

/// `/domains/{name}/public-folders`.
pub async fn page(State(st): State<Shared>, v: Viewer, Path(name): Path<String>) -> Response {
    let d = match domain_for(&st, &v, &name, Action::ManageAccounts).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let folders = match st.dir.list_public(&d.name).await {
        Ok(f) => f,
        Err(e) => return internal(e),
    };
    html(&PublicFolders {
        chrome: v.chrome("domains"),
        rows: folders
            .into_iter()
            .map(|f| FolderRow {
                segment: encode(&f.name),
                size: format::size(f.bytes),
                name: f.name,
                messages: f.messages,
                rights: f.rights,
            })
            .collect(),
        name: d.name,
        tab: "public",
    })
}
