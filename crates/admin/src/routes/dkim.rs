//! A domain's DKIM signing key (FILTER-7), as `heron dkim generate|show|delete` offers it:
//! the DNS TXT record to publish, a new key (replacing any), or no key (mail unsigned).
//!
//! Invariants: the private key never leaves the store through this API; only the public
//! record is returned; generation runs on a blocking thread (an RSA key takes a while).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use heron_directory::Directory;
use heron_mailauth::dkim::{Algorithm, DkimKey};
use heron_store::DkimRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::connections::unix_rfc3339;
use super::domains::domain_key;
use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::body::Body;
use crate::error::{ApiError, ApiResult, ErrorBody};

/// Selector used when none is given (as the CLI's).
pub const DEFAULT_SELECTOR: &str = "heron";

/// A domain's DKIM key, public parts only.
#[derive(Serialize, ToSchema)]
pub struct DkimView {
    pub domain: String,
    pub selector: String,
    /// `rsa` or `ed25519`.
    pub algorithm: String,
    /// Where to publish the TXT record: `SELECTOR._domainkey.DOMAIN.`
    pub record_name: String,
    /// The TXT record's value: `v=DKIM1; k=...; p=...`.
    pub record_value: String,
    /// When the key was made (RFC 3339, UTC).
    pub created: Option<String>,
}

/// A new key's parameters.
#[derive(Deserialize, ToSchema, Default)]
pub struct NewDkimKey {
    /// Default `heron`; letters, digits, '-' and '.'.
    pub selector: Option<String>,
    /// `rsa` (2048 bits, the default) or `ed25519`.
    pub algorithm: Option<String>,
}

fn view(rec: &DkimRecord) -> ApiResult<DkimView> {
    let key = DkimKey::from_pem(&rec.domain, &rec.selector, &rec.private_key)
        .map_err(ApiError::internal)?;
    Ok(DkimView {
        domain: rec.domain.clone(),
        selector: rec.selector.clone(),
        algorithm: key.algorithm.to_string(),
        record_name: key.record_name(),
        record_value: key.txt_value().map_err(ApiError::internal)?,
        created: unix_rfc3339(rec.created_at),
    })
}

/// A selector, lower-cased and checked (422 naming `selector`).
pub fn parse_selector(raw: Option<&str>) -> ApiResult<String> {
    let s = raw.unwrap_or(DEFAULT_SELECTOR).trim().to_ascii_lowercase();
    let ok = !s.is_empty()
        && s.len() <= 63
        && !s.starts_with(['.', '-'])
        && !s.ends_with(['.', '-'])
        && !s.contains("..")
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if ok {
        Ok(s)
    } else {
        Err(ApiError::invalid(
            "selector",
            "a selector is letters, digits, '-' and '.' (at most 63)",
        ))
    }
}

/// The public record of a domain's key; `None` if it has none.
pub async fn dkim_record(dir: &Directory, domain: &str) -> ApiResult<Option<DkimView>> {
    let d = dir.domain(domain).await?;
    match dir.store().get_dkim_key(&d.name).await? {
        Some(rec) => Ok(Some(view(&rec)?)),
        None => Ok(None),
    }
}

/// Make and store a new key for a domain, replacing any.
pub async fn generate(dir: &Directory, domain: &str, req: &NewDkimKey) -> ApiResult<DkimView> {
    let selector = parse_selector(req.selector.as_deref())?;
    let alg: Algorithm = req
        .algorithm
        .as_deref()
        .unwrap_or("rsa")
        .parse()
        .map_err(|_| ApiError::invalid("algorithm", "the algorithm is rsa or ed25519"))?;
    let d = dir.domain(domain).await?;
    let (name, sel) = (d.name.clone(), selector.clone());
    let key = tokio::task::spawn_blocking(move || DkimKey::generate(&name, &sel, alg))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let rec = DkimRecord {
        domain: d.name,
        selector,
        algorithm: alg.to_string(),
        private_key: key.private_key,
        created_at: chrono::Utc::now().timestamp(),
    };
    dir.store().put_dkim_key(&rec).await?;
    view(&rec)
}

/// The DNS record of a domain's DKIM key.
#[utoipa::path(operation_id = "dkim_get", get, path = "/api/v1/domains/{name}/dkim", tag = "domains",
    params(("name" = String, Path, description = "Domain name")),
    responses((status = 200, description = "OK", body = DkimView), (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "No such domain, or no key", body = ErrorBody)))]
pub async fn get(
    State(st): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<DkimView>> {
    let domain = domain_key(&name);
    caller.allow(Action::ChangeDomain(domain.clone()))?;
    dkim_record(&st.dir, &name)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("{domain} has no DKIM key")))
}

/// Generate a new key for a domain, replacing any; answers the record to publish.
#[utoipa::path(operation_id = "dkim_generate", post, path = "/api/v1/domains/{name}/dkim", tag = "domains", request_body = NewDkimKey,
    params(("name" = String, Path, description = "Domain name")),
    responses((status = 201, description = "Created", body = DkimView), (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 404, description = "No such domain", body = ErrorBody),
        (status = 422, description = "Invalid selector or algorithm (named in `field`)", body = ErrorBody)))]
pub async fn create(
    State(st): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
    Body(req): Body<NewDkimKey>,
) -> ApiResult<(StatusCode, Json<DkimView>)> {
    caller.allow(Action::ChangeDomain(domain_key(&name)))?;
    let v = generate(&st.dir, &name, &req).await?;
    caller.event(format!(
        "generated a {} DKIM key for {} (selector {})",
        v.algorithm, v.domain, v.selector
    ));
    Ok((StatusCode::CREATED, Json(v)))
}

/// Remove a domain's DKIM key: its mail is no longer signed.
#[utoipa::path(operation_id = "dkim_delete", delete, path = "/api/v1/domains/{name}/dkim", tag = "domains",
    params(("name" = String, Path, description = "Domain name")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "No such domain, or no key", body = ErrorBody)))]
pub async fn delete(
    State(st): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    caller.allow(Action::ChangeDomain(domain_key(&name)))?;
    let d = st.dir.domain(&name).await?;
    st.dir.store().delete_dkim_key(&d.name).await?;
    caller.event(format!("deleted the DKIM key of {}", d.name));
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors() {
        assert_eq!(parse_selector(None).ok().as_deref(), Some("heron"));
        assert_eq!(
            parse_selector(Some(" Mail.2026 ")).ok().as_deref(),
            Some("mail.2026")
        );
        for bad in [
            "",
            "a b",
            "a_b",
            ".a",
            "a.",
            "a..b",
            "-a",
            "x/y",
            &"a".repeat(64),
        ] {
            let e = parse_selector(Some(bad)).err().and_then(|e| e.field);
            assert_eq!(e, Some("selector"), "{bad:?}");
        }
    }
}
