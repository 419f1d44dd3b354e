//! Reading the aggregate reports other servers send (RFC 7489 §7.2): the XML attached as is,
//! gzipped or zipped, turned into a summary.
//!
//! Invariants: [`looks_like_report`] reads only the header fields and the first
//! [`SNIFF_BYTES`], so it is cheap enough for every message; [`parse`] never uncompresses more than its size limit
//! and keeps at most its row limit; every text kept is one line of at most 255 characters.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use mail_auth::report::{ActionDisposition, Alignment, Disposition, DmarcResult, Report};

/// One row of a received report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReceivedRow {
    pub source_ip: String,
    pub count: u64,
    /// `none`, `quarantine`, `reject` or `pass`.
    pub disposition: String,
    /// DMARC's DKIM and SPF results (`pass`, `fail`).
    pub dkim: String,
    pub spf: String,
    pub header_from: String,
    pub envelope_from: String,
    /// The underlying results: `dkim=domain:selector:result … spf=domain:result …`.
    pub auth: String,
}

/// A received report's summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Received {
    pub org: String,
    pub email: String,
    pub report_id: String,
    /// The period, Unix seconds.
    pub begin: i64,
    pub end: i64,
    pub policy_domain: String,
    /// `p=… sp=… adkim=… aspf=…` as the reporter saw it.
    pub policy: String,
    /// At most the row limit of [`parse`].
    pub rows: Vec<ReceivedRow>,
}

/// Bytes at the start of a message searched for the type of a report's part: a report's
/// text part is short, so its attachment's part header comes early.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// Whether `message` may be an aggregate report: its subject says "Report Domain" (§7.2.1.1)
/// or its first [`SNIFF_BYTES`] name an XML, gzip or zip part. Cheap enough to ask of every
/// delivered message.
pub fn looks_like_report(message: &[u8]) -> bool {
    let subject = heron_message::fields(message)
        .find(|f| f.is("Subject"))
        .is_some_and(|f| contains(f.value, b"report domain"));
    subject || names_report_part(&message[..message.len().min(SNIFF_BYTES)])
}

/// MIME types and a file name ending that mark a report's part (lower case).
const REPORT_WORDS: [&[u8]; 7] = [
    b"application/gzip",
    b"application/x-gzip",
    b"application/zip",
    b"application/x-zip-compressed",
    b"text/xml",
    b"application/xml",
    b".xml.gz",
];

/// Whether one of [`REPORT_WORDS`] is in `text`, ignoring ASCII case: one pass of a
/// case-blind multi-word automaton, linear in `text` whatever its bytes.
fn names_report_part(text: &[u8]) -> bool {
    static WORDS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(REPORT_WORDS)
            .ok()
    });
    match &*WORDS {
        Some(words) => words.is_match(text),
        // Built from constants, so never; a byte-wise search keeps the answer right anyway.
        None => REPORT_WORDS.iter().any(|w| contains(text, w)),
    }
}

/// Whether `needle` (lower case) is in `hay`, ignoring ASCII case.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

fn line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(255)
        .collect::<String>()
        .trim()
        .to_owned()
}

fn policy_word(d: Disposition) -> &'static str {
    match d {
        Disposition::None => "none",
        Disposition::Quarantine => "quarantine",
        Disposition::Reject => "reject",
        Disposition::Unspecified => "-",
    }
}

fn alignment_word(a: Alignment) -> &'static str {
    match a {
        Alignment::Relaxed => "r",
        Alignment::Strict => "s",
        Alignment::Unspecified => "-",
    }
}

fn result_word(r: DmarcResult) -> &'static str {
    match r {
        DmarcResult::Pass => "pass",
        DmarcResult::Fail => "fail",
        DmarcResult::Unspecified => "-",
    }
}

/// The report carried by `message`, uncompressing at most `max_size` bytes, with at most
/// `max_rows` rows; why not, when it carries none.
pub fn parse(message: &[u8], max_size: usize, max_rows: usize) -> Result<Received, String> {
    let r = Report::parse_rfc5322(message, max_size).map_err(|e| format!("{e:?}"))?;
    let pp = &r.policy_published;
    let rows = r
        .record
        .iter()
        .take(max_rows)
        .map(|rec| {
            let pe = &rec.row.policy_evaluated;
            let mut auth: Vec<String> = rec
                .auth_results
                .dkim
                .iter()
                .map(|d| format!("dkim={}:{}:{:?}", d.domain, d.selector, d.result))
                .collect();
            auth.extend(
                rec.auth_results
                    .spf
                    .iter()
                    .map(|s| format!("spf={}:{:?}", s.domain, s.result)),
            );
            ReceivedRow {
                source_ip: rec.row.source_ip.map(|i| i.to_string()).unwrap_or_default(),
                count: u64::from(rec.row.count),
                disposition: match pe.disposition {
                    ActionDisposition::None => "none",
                    ActionDisposition::Pass => "pass",
                    ActionDisposition::Quarantine => "quarantine",
                    ActionDisposition::Reject => "reject",
                    ActionDisposition::Unspecified => "-",
                }
                .to_owned(),
                dkim: result_word(pe.dkim).to_owned(),
                spf: result_word(pe.spf).to_owned(),
                header_from: line(&rec.identifiers.header_from),
                envelope_from: line(&rec.identifiers.envelope_from),
                auth: line(&auth.join(" ").to_ascii_lowercase()),
            }
        })
        .collect();
    let m = &r.report_metadata;
    Ok(Received {
        org: line(&m.org_name),
        email: line(&m.email),
        report_id: line(&m.report_id),
        begin: i64::try_from(m.date_range.begin).unwrap_or(i64::MAX),
        end: i64::try_from(m.date_range.end).unwrap_or(i64::MAX),
        policy_domain: line(&pp.domain),
        policy: format!(
            "p={} sp={} adkim={} aspf={}",
            policy_word(pp.p),
            policy_word(pp.sp),
            alignment_word(pp.adkim),
            alignment_word(pp.aspf)
        ),
        rows,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// RFC 7489 Appendix C's example, as a plain XML attachment.
    const XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\
<feedback><report_metadata><org_name>acme.com</org_name>\
<email>noreply-dmarc-support@acme.com</email><report_id>9391651994964116463</report_id>\
<date_range><begin>1335571200</begin><end>1335657599</end></date_range></report_metadata>\
<policy_published><domain>example.com</domain><adkim>r</adkim><aspf>r</aspf><p>none</p>\
<sp>none</sp><pct>100</pct></policy_published><record><row><source_ip>72.150.241.94</source_ip>\
<count>2</count><policy_evaluated><disposition>none</disposition><dkim>fail</dkim>\
<spf>pass</spf></policy_evaluated></row><identifiers><header_from>example.com</header_from>\
</identifiers><auth_results><dkim><domain>example.com</domain><result>fail</result>\
<human_result></human_result></dkim><spf><domain>example.com</domain><result>pass</result>\
</spf></auth_results></record></feedback>";

    #[test]
    fn the_rfc_example_is_read() {
        let m = format!(
            "From: a@acme.com\r\nSubject: Report Domain: example.com Submitter: acme.com\r\n\
             MIME-Version: 1.0\r\nContent-Type: text/xml\r\n\r\n{XML}"
        );
        assert!(looks_like_report(m.as_bytes()));
        let r = parse(m.as_bytes(), 1 << 20, 10).unwrap();
        assert_eq!(r.org, "acme.com");
        assert_eq!(r.report_id, "9391651994964116463");
        assert_eq!((r.begin, r.end), (1335571200, 1335657599));
        assert_eq!(r.policy_domain, "example.com");
        assert_eq!(r.policy, "p=none sp=none adkim=r aspf=r");
        assert_eq!(r.rows.len(), 1);
        let row = &r.rows[0];
        assert_eq!((row.source_ip.as_str(), row.count), ("72.150.241.94", 2));
        assert_eq!((row.dkim.as_str(), row.spf.as_str()), ("fail", "pass"));
        assert!(row.auth.contains("spf=example.com:pass"), "{}", row.auth);
        assert_eq!(parse(m.as_bytes(), 1 << 20, 0).unwrap().rows.len(), 0);
        assert!(!looks_like_report(b"Subject: hello\r\n\r\nplain text"));
        assert!(parse(b"Subject: hello\r\n\r\nplain text", 1 << 20, 10).is_err());
    }

    #[test]
    fn report_parts_are_named_in_any_case_anywhere_in_the_sniffed_start() {
        for w in REPORT_WORDS {
            let word = String::from_utf8(w.to_vec()).unwrap();
            for spelled in [word.clone(), word.to_ascii_uppercase()] {
                let m = format!("Subject: x\r\n\r\nzzz xx{spelled}zz");
                assert!(looks_like_report(m.as_bytes()), "{spelled}");
            }
            let cut = format!("Subject: x\r\n\r\n{}", &word[1..]);
            assert!(!looks_like_report(cut.as_bytes()), "{cut}");
        }
        let late = format!("Subject: x\r\n\r\n{}text/xml", "z".repeat(SNIFF_BYTES));
        assert!(
            !looks_like_report(late.as_bytes()),
            "only the start is sniffed"
        );
        assert!(!names_report_part(b"x") && !names_report_part(b"Z"));
        let xs = "X".repeat(SNIFF_BYTES);
        assert!(!names_report_part(xs.as_bytes()), "a run of x is no report");
    }

    #[test]
    fn a_zipped_report_is_read_and_the_size_limit_holds() {
        use std::io::Write;
        let mut zip = mail_auth::zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file::<_, ()>("acme.com!example.com!1!2.xml", Default::default())
            .unwrap();
        zip.write_all(XML.as_bytes()).unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &bytes);
        let m = format!(
            "From: a@acme.com\r\nSubject: report\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
             Content-Type: text/plain\r\n\r\nreport\r\n--b\r\n\
             Content-Type: application/zip; name=r.zip\r\n\
             Content-Disposition: attachment; filename=r.zip\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--b--\r\n"
        );
        assert!(looks_like_report(m.as_bytes()));
        let r = parse(m.as_bytes(), 1 << 20, 10).unwrap();
        assert_eq!(r.rows[0].count, 2);
        assert!(parse(m.as_bytes(), 100, 10).is_err());
    }
}
