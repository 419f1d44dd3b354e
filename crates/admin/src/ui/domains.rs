//! Domain pages: the searchable, paged list and one domain's general switches and limits.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use heron_directory::DirectoryError;
use heron_settings::defs;

use crate::auth::Shared;
use crate::authz::Action;
use crate::routes::dkim::{DkimView, dkim_record};
use crate::routes::domains::{DomainView, domain_key};
use crate::ui::format;
use crate::ui::page::{Chrome, Viewer, html, internal, not_found};
use crate::ui::paging::{ListQuery, Paging, paginate, per_page};

/// One row of the domain list.
pub struct DomainRow {
    pub name: String,
    pub users: u64,
    pub disabled: bool,
    pub require_smtp_auth: bool,
}

#[derive(Template)]
#[template(path = "domains.html")]
struct Domains {
    chrome: Chrome,
    rows: Vec<DomainRow>,
    paging: Paging,
}

/// `/domains?q=&page=`.
pub async fn list(State(st): State<Shared>, v: Viewer, Query(q): Query<ListQuery>) -> Response {
    if let Err(r) = v.require(&Action::ListDomains) {
        return r;
    }
    let store = st.dir.store();
    let mut all = match store.list_domains().await {
        Ok(d) => d,
        Err(e) => return internal(e),
    };
    if let Some(n) = q.needle() {
        all.retain(|d| d.name.contains(&n));
    }
    all.sort_by(|a, b| a.name.cmp(&b.name));
    let per = per_page(st.dir.settings().get(defs::ADMIN_ITEMS_PER_PAGE));
    let (page, paging) = paginate(
        all,
        q.page(),
        per,
        "/domains",
        q.q.as_deref().unwrap_or("").trim(),
    );
    let mut rows = Vec::with_capacity(page.len());
    for d in page {
        let users = match store.count_users(d.id).await {
            Ok(n) => n,
            Err(e) => return internal(e),
        };
        rows.push(DomainRow {
            name: d.name,
            users,
            disabled: d.disabled,
            require_smtp_auth: d.require_smtp_auth,
        });
    }
    html(&Domains {
        chrome: v.chrome("domains"),
        rows,
        paging,
    })
}

#[derive(Template)]
#[template(path = "domain.html")]
struct DomainPage {
    chrome: Chrome,
    name: String,
    tab: &'static str,
    d: DomainView,
    catch_all: String,
    /// "2 users, 1 alias, 5.2 MB used".
    usage: String,
    domain_aliases: Vec<String>,
    may_delete: bool,
    may_change: bool,
    dkim: Option<DkimView>,
}

/// The domain a page is about, once the viewer may do `action` (given the lower-cased name)
/// on it; else the refusal, not-found or error page to answer.
pub(crate) async fn domain_for(
    st: &Shared,
    v: &Viewer,
    name: &str,
    action: fn(String) -> Action,
) -> Result<heron_store::Domain, Response> {
    let key = domain_key(name);
    v.require(&action(key.clone()))?;
    match st.dir.domain(&key).await {
        Ok(d) => Ok(d),
        Err(DirectoryError::NotFound(_) | DirectoryError::Invalid(_)) => {
            Err(not_found(v, format!("There is no domain {key}.")))
        }
        Err(e) => Err(internal(e)),
    }
}

/// `/domains/{name}`: general switches and DOM-4 limits.
pub async fn show(State(st): State<Shared>, v: Viewer, Path(name): Path<String>) -> Response {
    let d = match domain_for(&st, &v, &name, Action::ReadDomain).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let key = d.name.clone();
    let store = st.dir.store();
    let counts = async {
        let users = store.count_users(d.id).await?;
        let aliases = store.count_aliases(d.id).await?;
        let used = store.domain_usage(d.id).await?;
        let domain_aliases = store.list_domain_aliases(d.id).await?;
        Ok::<_, heron_store::StoreError>((users, aliases, used, domain_aliases))
    };
    let (users, aliases, used, domain_aliases) = match counts.await {
        Ok(c) => c,
        Err(e) => return internal(e),
    };
    let may_change = v.may(&Action::ChangeDomain(key.clone()));
    let dkim = if may_change {
        match dkim_record(&st.dir, &key).await {
            Ok(k) => k,
            Err(e) => return internal(e.error),
        }
    } else {
        None
    };
    html(&DomainPage {
        chrome: v.chrome("domains"),
        may_change,
        dkim,
        tab: "general",
        catch_all: d.catch_all.clone().unwrap_or_default(),
        d: DomainView::from(&d),
        name: d.name,
        usage: format!(
            "{}, {}, {} used",
            format::count(users, "user", "users"),
            format::count(aliases, "alias", "aliases"),
            format::size(used)
        ),
        domain_aliases,
        may_delete: v.may(&Action::CreateDomain),
    })
}
