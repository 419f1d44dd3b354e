//! The Bayesian spam classifier's database (FILTER-2): how many messages it learned of each
//! class and how many tokens it keeps, and a reset that forgets everything.
//!
//! Invariant: system administrator and API tokens only, like the settings; counting the
//! tokens reads the whole token table, so this is for the admin, never for every message.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::error::{ApiResult, ErrorBody};

/// What the classifier has learned.
#[derive(Serialize, ToSchema)]
pub struct BayesView {
    /// Messages learned as spam.
    pub spam: u64,
    /// Messages learned as good mail.
    pub ham: u64,
    /// Tokens kept (each with its spam and ham counts).
    pub tokens: u64,
    /// Whether enough of both were learned for the classifier to answer
    /// (`bayes.min_spam`, `bayes.min_ham`).
    pub ready: bool,
}

async fn view(st: &Shared) -> ApiResult<BayesView> {
    let t = st.dir.store().bayes_totals().await?;
    let s = st.dir.settings();
    Ok(BayesView {
        spam: t.spam,
        ham: t.ham,
        tokens: t.tokens,
        ready: t.spam >= s.get(heron_settings::defs::BAYES_MIN_SPAM).max(1)
            && t.ham >= s.get(heron_settings::defs::BAYES_MIN_HAM).max(1),
    })
}

/// Learned message totals and the number of tokens.
#[utoipa::path(operation_id = "bayes_get", get, path = "/api/v1/bayes", tag = "filter",
    responses((status = 200, description = "OK", body = BayesView), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody)))]
pub async fn get(State(st): State<Shared>, caller: Caller) -> ApiResult<Json<BayesView>> {
    caller.allow(Action::Settings)?;
    Ok(Json(view(&st).await?))
}

/// Forget everything learned: tokens, learned messages, totals.
#[utoipa::path(operation_id = "bayes_reset", post, path = "/api/v1/bayes/reset", tag = "filter",
    responses((status = 200, description = "OK", body = BayesView), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody)))]
pub async fn reset(State(st): State<Shared>, caller: Caller) -> ApiResult<Json<BayesView>> {
    caller.allow(Action::Settings)?;
    st.dir.store().bayes_reset().await?;
    caller.event("Bayes database reset");
    Ok(Json(view(&st).await?))
}
