//! A domain's users and aliases: searchable, paged lists, the add forms and one user's page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use heron_directory::DirectoryError;
use heron_settings::defs;

use crate::auth::Shared;
use crate::authz::Action;
use crate::routes::domains::domain_key;
use crate::routes::users::view;
use crate::ui::account::describe;
use crate::ui::domains::domain_for;
use crate::ui::format;
use crate::ui::page::{Chrome, Viewer, html, internal, not_found};
use crate::ui::paging::{ListQuery, Paging, paginate, per_page, place};

/// A user as listed.
pub struct UserRow {
    pub address: String,
    pub display_name: String,
    pub role: String,
    pub quota_mb: u64,
    /// Mail stored, as a person reads it ("5.2 MB").
    pub used: String,
    /// "of 100 MB quota", or "" when the user has no quota of their own.
    pub quota: String,
    pub disabled: bool,
    pub last_login: String,
}

/// Unix seconds as a UTC date and time, or "never".
pub fn when(t: Option<i64>) -> String {
    t.and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
        .map_or_else(
            || "never".to_owned(),
            |d| d.format("%Y-%m-%d %H:%M UTC").to_string(),
        )
}

fn row(u: &heron_store::User, domain: &str) -> UserRow {
    let v = view(u, domain);
    UserRow {
        address: v.address,
        display_name: v.display_name,
        role: v.role,
        quota_mb: v.quota_mb,
        used: format::size(v.used_bytes),
        quota: if v.quota_mb == 0 {
            String::new()
        } else {
            format!("of a {} quota", format::size(v.quota_mb * 1024 * 1024))
        },
        disabled: v.disabled,
        last_login: when(v.last_login),
    }
}

#[derive(Template)]
#[template(path = "users.html")]
struct Users {
    chrome: Chrome,
    name: String,
    tab: &'static str,
    rows: Vec<UserRow>,
    paging: Paging,
    policy: String,
    may_set_role: bool,
}

/// `/domains/{name}/users?q=&page=`.
pub async fn users(
    State(st): State<Shared>,
    v: Viewer,
    Path(name): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    let d = match domain_for(&st, &v, &name, Action::ManageAccounts).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    // Counted and paged in the store: a domain may hold tens of thousands of users.
    let store = st.dir.store();
    let needle = q.needle();
    let per = per_page(st.dir.settings().get(defs::ADMIN_ITEMS_PER_PAGE));
    let base = format!("/domains/{}/users", d.name);
    let typed = q.q.as_deref().unwrap_or("").trim();
    let total = match store.search_users(d.id, needle.as_deref(), 0, 0).await {
        Ok((n, _)) => usize::try_from(n).unwrap_or(usize::MAX),
        Err(e) => return internal(e),
    };
    let paging = place(total, q.page(), per, &base, typed);
    let offset = ((paging.page - 1) * per) as u64;
    let page = match store
        .search_users(d.id, needle.as_deref(), per as u64, offset)
        .await
    {
        Ok((_, users)) => users,
        Err(e) => return internal(e),
    };
    html(&Users {
        chrome: v.chrome("users"),
        rows: page.iter().map(|u| row(u, &d.name)).collect(),
        name: d.name,
        tab: "users",
        paging,
        policy: describe(&st.dir.password_policy()),
        may_set_role: v.may(&Action::SetRole(domain_key(&name))),
    })
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    chrome: Chrome,
    name: String,
    tab: &'static str,
    u: UserRow,
    policy: String,
    may_set_role: bool,
    may_impersonate: bool,
    form: crate::ui::filter_policy::PolicyForm,
    /// Mail to the user is greylisted when greylisting is on (SEC-3).
    greylisting: bool,
    /// The user's own sending throttles (DOM-7); absent values are the server's.
    throttle: heron_store::UserThrottle,
    /// The user's POP-retrieval accounts (ACCESS-4), without passwords.
    pop_accounts: Vec<PopRow>,
    /// The domain's POP-retrieval switch (DOM-3).
    pop_retrieval: bool,
    /// The user's own auto-clean rules (OPS-6).
    autoclean_rules: String,
    /// Whether the server and the domain let the user's rules apply.
    autoclean_allowed: bool,
}

/// A POP-retrieval account as the user page lists it.
pub struct PopRow {
    pub id: i64,
    pub host: String,
    pub port: u16,
    pub tls: &'static str,
    pub login: String,
    pub folder: String,
    pub leave_on_server: bool,
    pub verify_tls: bool,
    pub enabled: bool,
    pub last_run: String,
    pub last_error: String,
}

/// `/users/{address}`.
pub async fn user(State(st): State<Shared>, v: Viewer, Path(address): Path<String>) -> Response {
    let key = domain_key(address.rsplit_once('@').map_or("", |x| x.1));
    if let Err(r) = v.require(&Action::ManageAccounts(key.clone())) {
        return r;
    }
    let u = match st.dir.user(&address).await {
        Ok(u) => u,
        Err(DirectoryError::NotFound(_) | DirectoryError::Invalid(_)) => {
            return not_found(&v, format!("There is no user {address}."));
        }
        Err(e) => return internal(e),
    };
    let d = match st.dir.domain_by_id(u.domain_id).await {
        Ok(Some(d)) => d,
        Ok(None) => return not_found(&v, format!("There is no user {address}.")),
        Err(e) => return internal(e),
    };
    let throttle = match st.dir.store().user_throttle(u.id).await {
        Ok(t) => t,
        Err(e) => return internal(e),
    };
    let pop_accounts = match st.dir.store().pop_accounts(Some(u.id)).await {
        Ok(all) => all
            .iter()
            .map(|a| PopRow {
                id: a.id,
                host: a.host.clone(),
                port: a.port,
                tls: a.tls.as_str(),
                login: a.login.clone(),
                folder: a.folder.clone(),
                leave_on_server: a.leave_on_server,
                verify_tls: a.verify_tls,
                enabled: a.enabled,
                last_run: when((a.last_run > 0).then_some(a.last_run)),
                last_error: a.last_error.clone(),
            })
            .collect(),
        Err(e) => return internal(e),
    };
    html(&UserPage {
        pop_accounts,
        pop_retrieval: d.pop_retrieval,
        autoclean_rules: u.autoclean_rules.clone(),
        autoclean_allowed: d.autoclean_user_override
            && st.dir.settings().get(defs::AUTOCLEAN_DOMAIN_OVERRIDE),
        form: crate::ui::filter_policy::user_form(st.dir.settings(), &v, &d, &u),
        greylisting: u.greylisting,
        throttle,
        chrome: v.chrome("users"),
        u: row(&u, &key),
        name: key.clone(),
        tab: "users",
        policy: describe(&st.dir.password_policy()),
        may_set_role: v.may(&Action::SetRole(key)),
        may_impersonate: v.may(&Action::Impersonate) && v.acting_for.is_none(),
    })
}

/// An alias as listed.
pub struct AliasRow {
    pub address: String,
    pub targets: String,
}

#[derive(Template)]
#[template(path = "aliases.html")]
struct Aliases {
    chrome: Chrome,
    name: String,
    tab: &'static str,
    rows: Vec<AliasRow>,
    paging: Paging,
}

/// `/domains/{name}/aliases?q=&page=`.
pub async fn aliases(
    State(st): State<Shared>,
    v: Viewer,
    Path(name): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    let d = match domain_for(&st, &v, &name, Action::ManageAccounts).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let mut all = match st.dir.store().list_aliases(d.id).await {
        Ok(a) => a,
        Err(e) => return internal(e),
    };
    if let Some(n) = q.needle() {
        all.retain(|a| a.local.contains(&n) || a.targets.iter().any(|t| t.contains(&n)));
    }
    all.sort_by(|a, b| a.local.cmp(&b.local));
    let per = per_page(st.dir.settings().get(defs::ADMIN_ITEMS_PER_PAGE));
    let base = format!("/domains/{}/aliases", d.name);
    let (page, paging) = paginate(
        all,
        q.page(),
        per,
        &base,
        q.q.as_deref().unwrap_or("").trim(),
    );
    html(&Aliases {
        chrome: v.chrome("aliases"),
        rows: page
            .into_iter()
            .map(|a| AliasRow {
                address: format!("{}@{}", a.local, d.name),
                targets: a.targets.join(", "),
            })
            .collect(),
        name: d.name,
        tab: "aliases",
        paging,
    })
}
