//! The DNS page of a domain as one value: the records to publish and, when checked, what the
//! resolver says of each. Shared by `heron dns`, the API and the admin UI.

use std::path::Path;

use heron_settings::Settings;
use heron_store::{DkimRecord, Domain};
use serde::Serialize;

use crate::check::{self, Checked, Status};
use crate::endpoints;
use crate::records::{self, Inputs};

/// The records of one domain.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub domain: String,
    /// The host name the records point at.
    pub host: String,
    /// Each record, with `status` and `found` when checked.
    pub records: Vec<Entry>,
    /// Records that could not be computed, and why.
    pub problems: Vec<String>,
    /// Whether the records were looked up.
    pub checked: bool,
}

/// One record of a report.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    #[serde(flatten)]
    pub checked: Checked,
    /// The zone-file line.
    pub zone: String,
}

impl Report {
    /// How many records have `status`.
    pub fn count(&self, status: Status) -> usize {
        self.records
            .iter()
            .filter(|e| e.checked.status == status)
            .count()
    }
}

/// The records of `domain`, looked up through the configured resolver when `check`.
pub async fn report(
    settings: &Settings,
    domain: &Domain,
    dkim: Option<&DkimRecord>,
    data_dir: &Path,
    check: bool,
) -> Report {
    let inputs = Inputs {
        domain,
        dkim,
        data_dir,
    };
    let (wanted, mut problems) = records::expected(settings, &inputs);
    let checked: Vec<Checked> = if check {
        match check::resolver(settings) {
            Ok(dns) => check::check(&dns, wanted).await,
            Err(e) => {
                problems.push(format!("cannot check: {e}"));
                unchecked(wanted)
            }
        }
    } else {
        unchecked(wanted)
    };
    Report {
        domain: domain.name.clone(),
        host: endpoints::domain_hostname(settings, domain),
        records: checked
            .into_iter()
            .map(|c| Entry {
                zone: c.record.zone_line(),
                checked: c,
            })
            .collect(),
        problems,
        checked: check,
    }
}

fn unchecked(records: Vec<records::Record>) -> Vec<Checked> {
    records
        .into_iter()
        .map(|record| Checked {
            record,
            status: Status::Unchecked,
            found: Vec::new(),
            error: None,
        })
        .collect()
}
