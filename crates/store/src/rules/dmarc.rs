//! The statements of DMARC aggregate reporting, the same on every backend (`?N` parameters
//! are written `$N` for PostgreSQL by [`super::nodes::numbered`]).
//!
//! Invariant: a collected row is counted by adding to its count (one row per day and key, so
//! a flood of alike messages updates one row); a new row is made only while its day has
//! fewer rows than the caller's cap.

/// The columns of a collected row, in [`crate::dmarc::DmarcCollected`]'s order.
pub const COLLECTED_COLS: &str = "day, domain, policy, rua, source_ip, header_from, \
     envelope_from, spf, dkim, disposition, dkim_aligned, spf_aligned, count";

/// Add ?3 to the count of row (?1 day, ?2 key), taking the addresses ?4.
pub const COLLECT_ADD: &str = "UPDATE dmarc_collected SET count = count + ?3, rua = ?4 \
     WHERE day = ?1 AND key = ?2";

/// The rows of day ?1.
pub const COLLECT_ROWS_OF_DAY: &str = "SELECT count(*) FROM dmarc_collected WHERE day = ?1";

/// Make row (?1 day, ?2 key) with the fields ?3..?14, or add to it when it was made meanwhile.
pub const COLLECT_NEW: &str = "INSERT INTO dmarc_collected (day, key, domain, policy, rua, \
     source_ip, header_from, envelope_from, spf, dkim, disposition, dkim_aligned, spf_aligned, \
     count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
     ON CONFLICT (day, key) DO UPDATE SET count = dmarc_collected.count + excluded.count, \
     rua = excluded.rua";

/// Delete the collected rows of the days before ?1.
pub const FORGET_COLLECTED: &str = "DELETE FROM dmarc_collected WHERE day < ?1";

/// The columns of a received report (without its rows), in [`crate::dmarc::DmarcReport`]'s
/// order.
pub const REPORT_COLS: &str = "id, domain_id, org, email, report_id, begin_at, end_at, \
     policy_domain, policy, received_at, messages, row_count";

/// Keep a report (?1..?12, ?12 the rows as JSON) unless its domain has it already.
pub const REPORT_ADD: &str = "INSERT INTO dmarc_reports (domain_id, org, email, report_id, \
     begin_at, end_at, policy_domain, policy, received_at, messages, row_count, rows_json) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
     ON CONFLICT (domain_id, org, report_id) DO NOTHING RETURNING id";

/// Reports of domain ?1 (0: every domain).
pub const REPORT_WHERE: &str = "WHERE (domain_id = ?1 OR ?1 = 0)";

/// Delete the reports received before ?1.
pub const FORGET_REPORTS: &str = "DELETE FROM dmarc_reports WHERE received_at < ?1";

/// Most rows a report keeps (the parser is bounded by the settings; this bounds the store).
pub const MAX_REPORT_ROWS: usize = 10_000;
