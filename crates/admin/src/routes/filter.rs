//! "Test a message" (FILTER-1..6): run the server's spam and virus checks on a message the
//! administrator supplies, as if it arrived from a given IP, HELO name and sender, and answer
//! each check's result and weight, the total, the level and what would happen to it.
//!
//! Invariants: nothing is delivered, stored or learned; the message is limited to
//! [`MAX_MESSAGE`] bytes (the request body limit applies first); the checks run in the same
//! bounded pool and within the same deadlines as for arriving mail.

use std::net::IpAddr;

use axum::Json;
use axum::extract::State;
use heron_filter::Envelope;
use heron_settings::defs;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::body::Body;
use crate::error::{ApiError, ApiResult, ErrorBody};

/// Largest message tested, in bytes.
pub const MAX_MESSAGE: usize = 1024 * 1024;

/// A message to test and how it is supposed to have arrived.
#[derive(Deserialize, ToSchema)]
pub struct FilterTestRequest {
    /// The whole message (header and body), as in an .eml file.
    pub message: String,
    /// The connecting IP the checks judge; default 127.0.0.1.
    pub ip: Option<String>,
    /// The EHLO name; default empty.
    pub helo: Option<String>,
    /// The MAIL FROM address; default empty (the null sender).
    pub sender: Option<String>,
    /// Test as mail from an authenticated user (content checks only, outgoing threshold).
    #[serde(default)]
    pub outgoing: bool,
}

/// One check that fired.
#[derive(Serialize, ToSchema)]
pub struct HitView {
    pub check: String,
    pub weight: i64,
    pub detail: String,
}

/// A check that gave no answer.
#[derive(Serialize, ToSchema)]
pub struct UnansweredView {
    pub check: String,
    pub why: String,
}

/// What the checks found and what would be done.
#[derive(Serialize, ToSchema)]
pub struct FilterTestResult {
    /// The spam weight: the sum of the hits.
    pub weight: i64,
    /// none, low, medium or high.
    pub level: String,
    /// What would happen: `refuse`, or the level's action (deliver, subject, header, junk,
    /// delete, bounce), or the virus action.
    pub action: String,
    pub hits: Vec<HitView>,
    pub unanswered: Vec<UnansweredView>,
    /// The virus a scanner found, if any.
    pub virus: Option<String>,
    /// The Authentication-Results line the message would get.
    pub authentication_results: Option<String>,
}

/// Run the checks on a message without delivering it.
#[utoipa::path(operation_id = "filter_test", post, path = "/api/v1/filter/test", tag = "settings", request_body = FilterTestRequest,
    responses((status = 200, description = "OK", body = FilterTestResult), (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody), (status = 503, description = "No filter in this process", body = ErrorBody)))]
pub async fn test(
    State(st): State<Shared>,
    caller: Caller,
    Body(req): Body<FilterTestRequest>,
) -> ApiResult<Json<FilterTestResult>> {
    caller.allow(Action::Settings)?;
    if req.message.trim().is_empty() {
        return Err(ApiError::invalid("message", "the message is empty"));
    }
    if req.message.len() > MAX_MESSAGE {
        return Err(ApiError::invalid(
            "message",
            format!("the message is over {MAX_MESSAGE} bytes"),
        ));
    }
    let ip: IpAddr = match req.ip.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => IpAddr::from([127, 0, 0, 1]),
        Some(s) => s
            .parse()
            .map_err(|_| ApiError::invalid("ip", "not an IPv4 or IPv6 address"))?,
    };
    let Some(filter) = st.runtime.filter.as_ref() else {
        return Err(ApiError::unavailable(
            "the filter runs only in the server process",
        ));
    };
    // The wire form: CRLF line ends, as a message arrives over SMTP.
    let message = req.message.replace("\r\n", "\n").replace('\n', "\r\n");
    let hostname = st.dir.settings().get(defs::SERVER_HOSTNAME);
    let env = Envelope {
        ip,
        helo: req.helo.as_deref().unwrap_or("").trim(),
        sender: req.sender.as_deref().unwrap_or("").trim(),
        hostname: if hostname.is_empty() {
            "localhost"
        } else {
            &hostname
        },
        outgoing: req.outgoing,
        seal: None,
    };
    let verdict = filter.evaluate(&env, message.as_bytes()).await;
    let settings = filter.settings();
    let policy = heron_filter::Policy::server(settings);
    let level = policy.level(verdict.weight());
    let action = heron_filter::action::planned(&verdict, &policy, settings, req.outgoing);
    Ok(Json(FilterTestResult {
        weight: verdict.weight(),
        level: level.name().to_owned(),
        action: action.to_owned(),
        hits: verdict
            .hits
            .iter()
            .map(|h| HitView {
                check: h.check.clone(),
                weight: h.weight,
                detail: h.detail.clone(),
            })
            .collect(),
        unanswered: verdict
            .unanswered
            .iter()
            .map(|(c, w)| UnansweredView {
                check: c.clone(),
                why: w.clone(),
            })
            .collect(),
        virus: verdict.virus.clone(),
        authentication_results: verdict
            .authentication_results
            .as_deref()
            .map(|h| h.trim_end().to_owned()),
    }))
}
