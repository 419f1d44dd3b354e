//! Blocks placed by the abuse rules (SEC-2, SEC-7): failed logins per IP and per account,
//! harvesting per IP, and accounts whose sending is suspended after a spam run. List the blocks in force; lift one; blacklist an IP block's IP.
//!
//! Invariants: the list is read from the store, so it shows the blocks of every node; a
//! block's start is its end less the block length its rule gives now (the setting, doubled
//! for earlier blocks of the key: a block placed before the setting changed shows the start
//! it would have had); lifting a block also forgets the key's failures and earlier blocks,
//! so counting starts afresh.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use heron_directory::blocks::{AUTH_ACCOUNT, AUTH_IP, KINDS, SENDING};
use heron_settings::defs;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::routes::connections::{BlacklistResult, blacklist_ip, unix_rfc3339};
use crate::sessions::now;

/// One block in force.
#[derive(Serialize, ToSchema)]
pub struct BlockView {
    /// auth-ip (failed logins from an IP), auth-account (failed logins to an account),
    /// harvest (bad SMTP sessions from an IP), sending (an account's sending suspended after
    /// a spam run), or dos-smtp, dos-submission, dos-pop3, dos-imap (a connection flood from
    /// an IP on that protocol).
    pub kind: String,
    /// The IP address or the login name.
    pub key: String,
    /// What is refused and which rule placed the block.
    pub reason: String,
    /// When the block started (RFC 3339, UTC; from the rule's current block length).
    pub start: String,
    /// When the block ends (RFC 3339, UTC).
    pub end: String,
    /// Seconds left.
    pub seconds_left: i64,
}

/// The rule behind a kind of block, in words, and its current block length.
fn rule_of(settings: &heron_settings::Settings, kind: &str) -> (String, i64) {
    let (what, n, window, block) = match kind {
        AUTH_IP => (
            "logins from this IP refused after failed logins",
            settings.get(defs::AUTH_IP_FAILURES),
            settings.get(defs::AUTH_IP_WINDOW),
            settings.get(defs::AUTH_IP_BLOCK),
        ),
        AUTH_ACCOUNT => (
            "logins to this account refused after failed logins",
            settings.get(defs::AUTH_ACCOUNT_FAILURES),
            settings.get(defs::AUTH_ACCOUNT_WINDOW),
            settings.get(defs::AUTH_ACCOUNT_BLOCK),
        ),
        k if heron_directory::blocks::DOS.contains(&k) => (
            "connections from this IP refused after a flood (DoS rule)",
            settings.get(defs::DOS_CONNECTIONS),
            settings.get(defs::DOS_WINDOW),
            settings.get(defs::DOS_BLOCK),
        ),
        SENDING => (
            "sending of this account suspended after messages of one size",
            settings.get(defs::SPAMMER_MESSAGES),
            settings.get(defs::SPAMMER_WINDOW),
            settings.get(defs::SPAMMER_SUSPEND),
        ),
        _ => (
            "SMTP from this IP refused after bad sessions (harvesting)",
            settings.get(defs::HARVEST_BAD_SESSIONS),
            settings.get(defs::HARVEST_WINDOW),
            settings.get(defs::HARVEST_BLOCK),
        ),
    };
    let block = block.as_secs() as i64;
    (
        format!(
            "{what}: {n} within {}s block for {block}s",
            window.as_secs()
        ),
        block,
    )
}

/// The blocks in force, by kind and key.
pub async fn blocks(st: &Shared) -> ApiResult<Vec<BlockView>> {
    let t = now();
    let all = st.dir.store().limit_blocks(t).await?;
    let mut out = Vec::new();
    for b in all
        .into_iter()
        .filter(|b| KINDS.contains(&b.scope.as_str()))
    {
        let (reason, _) = rule_of(st.dir.settings(), &b.scope);
        let len = st.dir.block_length(&b.scope, &b.key).await;
        out.push(BlockView {
            start: unix_rfc3339(b.blocked_until - len).unwrap_or_default(),
            end: unix_rfc3339(b.blocked_until).unwrap_or_default(),
            seconds_left: b.blocked_until - t,
            kind: b.scope,
            key: b.key,
            reason,
        });
    }
    Ok(out)
}

/// Lift the block of `key` of `kind` (forgetting its failures and earlier blocks).
pub async fn remove(st: &Shared, kind: &str, key: &str) -> ApiResult<()> {
    if !KINDS.contains(&kind) {
        return Err(ApiError::not_found(format!(
            "no kind of block {kind:?} (one of {})",
            KINDS.join(", ")
        )));
    }
    if !st.dir.lift_block(kind, key).await? {
        return Err(ApiError::not_found(format!("no {kind} block of {key:?}")));
    }
    Ok(())
}

/// The blocks in force (failed logins per IP and per account, harvesting per IP).
#[utoipa::path(operation_id = "blocks_list", get, path = "/api/v1/blocks", tag = "blocks",
    responses((status = 200, description = "OK", body = Vec<BlockView>), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody)))]
pub async fn list(State(st): State<Shared>, caller: Caller) -> ApiResult<Json<Vec<BlockView>>> {
    caller.allow(Action::Connections)?;
    Ok(Json(blocks(&st).await?))
}

/// Lift a block (and forget the key's failures).
#[utoipa::path(operation_id = "blocks_delete", delete, path = "/api/v1/blocks/{kind}/{key}", tag = "blocks",
    params(("kind" = String, Path, description = "auth-ip, auth-account, harvest, sending, dos-smtp, dos-submission, dos-pop3 or dos-imap"), ("key" = String, Path, description = "IP address or login name")),
    responses((status = 204, description = "Lifted"), (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "No such block", body = ErrorBody)))]
pub async fn delete(
    State(st): State<Shared>,
    caller: Caller,
    Path((kind, key)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    caller.allow(Action::Connections)?;
    remove(&st, &kind, &key).await?;
    caller.event(format!("lifted the {kind} block of {key}"));
    Ok(StatusCode::NO_CONTENT)
}

/// Add the IP of an IP block to `security.ip_blacklist` (SEC-1) and lift the block.
#[utoipa::path(operation_id = "blocks_blacklist", post, path = "/api/v1/blocks/{kind}/{key}/blacklist", tag = "blocks",
    params(("kind" = String, Path, description = "auth-ip, harvest or a dos- kind"), ("key" = String, Path, description = "IP address")),
    responses((status = 200, description = "Blacklisted, block lifted", body = BlacklistResult), (status = 400, description = "Not an IP block", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 404, description = "No such block", body = ErrorBody)))]
pub async fn blacklist(
    State(st): State<Shared>,
    caller: Caller,
    Path((kind, key)): Path<(String, String)>,
) -> ApiResult<Json<BlacklistResult>> {
    caller.allow(Action::Connections)?;
    let ip = key
        .parse()
        .map_err(|_| ApiError::bad_request(format!("{key:?} is not an IP address")))?;
    remove(&st, &kind, &key).await?;
    let added = blacklist_ip(st.dir.settings(), ip).await?;
    if added {
        caller.event(format!("added {ip} to security.ip_blacklist"));
    }
    caller.event(format!("lifted the {kind} block of {key} (blacklisted)"));
    Ok(Json(BlacklistResult {
        ip: ip.to_string(),
        added,
    }))
}
