//! A domain's "Spam filter" tab and a user's spam-filter panel (FILTER-3, DOM-3): the levels,
//! actions and texts the domain or user set for itself, each beside the value in force
//! without it, saved as a whole through `PUT /api/v1/domains/{name}/filter` or
//! `/api/v1/users/{address}/filter`; a field left empty takes the server's (or the domain's).
//!
//! Invariant: the form is editable only by whom the API would let save it; the domain's
//! switch is shown editable to the server administrator only.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use heron_filter::Policy;
use heron_filter::policy::SWITCH;
use heron_settings::{Settings, defs, kinds::SPAM_ACTIONS};
use heron_store::FilterOverrides;

use crate::auth::Shared;
use crate::authz::Action;
use crate::ui::domains::domain_for;
use crate::ui::page::{Chrome, Viewer, html};

/// One level's row of the form: what is set here (empty: not set) and what applies without it.
pub struct LevelRow {
    pub level: &'static str,
    pub weight: String,
    pub weight_else: i64,
    pub action: String,
    pub action_else: String,
    pub text: String,
    pub text_else: String,
}

/// The form of one domain's or user's filter settings.
pub struct PolicyForm {
    /// The API resource the form saves to.
    pub api: String,
    pub rows: Vec<LevelRow>,
    pub actions: &'static [&'static str],
    /// The domain's switch as set ("", "true", "false"); `None` on a user's form.
    pub switch: Option<String>,
    /// The switch may be changed by this viewer.
    pub switch_editable: bool,
    /// Filtering is on for this domain or user's domain now.
    pub enabled: bool,
    /// The levels, actions and texts set here apply now (the server allows them).
    pub applies: bool,
    /// This viewer may save the form.
    pub editable: bool,
}

impl PolicyForm {
    /// The form for `own` settings over the `inherited` policy (the server's for a domain,
    /// the domain's for a user).
    fn new(api: String, own: &FilterOverrides, inherited: &Policy) -> Self {
        let get = |name: String| own.0.get(&name).cloned().unwrap_or_default();
        let rows = ["low", "medium", "high"]
            .iter()
            .enumerate()
            .map(|(i, level)| LevelRow {
                level,
                weight: get(format!("level_{level}")),
                weight_else: inherited.thresholds[i],
                action: get(format!("action_{level}")),
                action_else: inherited.actions[i].clone(),
                text: get(format!("text_{level}")),
                text_else: inherited.texts[i].clone(),
            })
            .collect();
        Self {
            api,
            rows,
            actions: SPAM_ACTIONS,
            switch: None,
            switch_editable: false,
            enabled: inherited.enabled,
            applies: true,
            editable: false,
        }
    }
}

#[derive(Template)]
#[template(path = "domain_filter.html")]
struct DomainFilterPage {
    chrome: Chrome,
    name: String,
    tab: &'static str,
    form: PolicyForm,
}

/// `/domains/{name}/filter`.
pub async fn domain_page(
    State(st): State<Shared>,
    v: Viewer,
    Path(name): Path<String>,
) -> Response {
    let d = match domain_for(&st, &v, &name, Action::ReadDomain).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let settings = st.dir.settings();
    html(&DomainFilterPage {
        chrome: v.chrome("domains"),
        tab: "filter",
        form: domain_form(settings, &v, &d),
        name: d.name,
    })
}

fn domain_form(settings: &Settings, v: &Viewer, d: &heron_store::Domain) -> PolicyForm {
    let mut server = Policy::server(settings);
    server.enabled = Policy::of(settings, &d.filter, &FilterOverrides::default()).enabled;
    let mut form = PolicyForm::new(
        format!("/api/v1/domains/{}/filter", d.name),
        &d.filter,
        &server,
    );
    let permitted = settings.get(defs::FILTER_DOMAIN_OVERRIDES);
    form.switch = Some(d.filter.0.get(SWITCH).cloned().unwrap_or_default());
    form.switch_editable = v.may(&Action::OwnFilter(d.name.clone(), false));
    form.applies = permitted;
    form.editable = v.may(&Action::OwnFilter(d.name.clone(), permitted));
    form
}

/// The spam-filter panel of a user's page, over the policy of the user's domain.
pub fn user_form(
    settings: &Settings,
    v: &Viewer,
    d: &heron_store::Domain,
    u: &heron_store::User,
) -> PolicyForm {
    let domain = Policy::of(settings, &d.filter, &FilterOverrides::default());
    let mut form = PolicyForm::new(
        format!("/api/v1/users/{}@{}/filter", u.local, d.name),
        &u.filter,
        &domain,
    );
    let permitted = settings.get(defs::FILTER_USER_OVERRIDES);
    form.applies = permitted;
    form.editable = v.may(&Action::OwnFilter(d.name.clone(), permitted));
    form
}
