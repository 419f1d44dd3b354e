//! A command-line virus scanner (FILTER-6, `antivirus.command`): the message is written to a
//! temporary file, the command runs with `%FILEPATH` replaced by its path, and its exit
//! status says what it found: 1 a virus (named by its output), 0 clean, anything else no
//! answer.
//!
//! Invariants: the command is split at spaces and run without a shell, so nothing in the
//! message or its path is ever interpreted; it is killed when it outruns
//! `antivirus.command_timeout`; at most [`MAX_OUTPUT`] bytes of its output are read; the
//! temporary file is removed when the check ends, whatever the outcome.

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use heron_settings::defs;
use tokio::io::AsyncReadExt;
use tokio::process::Command;

use crate::error::Error;
use crate::pipeline::Ctx;
use crate::verdict::Verdict;

/// The check's name in the headers.
pub const NAME: &str = "antivirus-command";

/// Longest output of the scanner that is read.
pub const MAX_OUTPUT: u64 = 16 * 1024;

/// Name given to a virus when the scanner printed nothing.
const UNNAMED: &str = "unnamed virus";

/// What the scanner found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Clean,
    Virus(String),
}

/// The program and its arguments, `%FILEPATH` replaced by `path`; `None` for an empty command.
pub fn command_line(command: &str, path: &str) -> Option<Vec<String>> {
    let words: Vec<String> = command
        .split_whitespace()
        .map(|w| w.replace("%FILEPATH", path))
        .collect();
    (!words.is_empty()).then_some(words)
}

/// What exit status `code` and output `stdout` mean.
pub fn outcome(code: Option<i32>, stdout: &[u8]) -> Result<Outcome, Error> {
    match code {
        Some(0) => Ok(Outcome::Clean),
        Some(1) => Ok(Outcome::Virus(virus_name(stdout))),
        Some(n) => Err(Error::Refused(format!("scanner exited with status {n}"))),
        None => Err(Error::Refused("scanner killed by a signal".into())),
    }
}

/// The virus name in a scanner's output: its first non-empty line, or NAME from a
/// `PATH: NAME FOUND` line (clamscan's format).
pub fn virus_name(stdout: &[u8]) -> String {
    let text = String::from_utf8_lossy(stdout);
    let found = text.lines().map(str::trim).find_map(|l| {
        let name = l.strip_suffix(" FOUND")?;
        Some(
            name.rsplit_once(": ")
                .map_or(name, |(_, n)| n)
                .trim()
                .to_owned(),
        )
    });
    let name = found.or_else(|| {
        text.lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(str::to_owned)
    });
    match name {
        Some(n) if !n.is_empty() => crate::verdict::clean(&n),
        _ => UNNAMED.to_owned(),
    }
}

/// The check: run the configured scanner on the message, when there is one.
pub async fn check(ctx: &Ctx<'_>) -> Verdict {
    let mut v = Verdict::default();
    let command = ctx.settings.get(defs::ANTIVIRUS_COMMAND);
    if command.trim().is_empty() {
        return v;
    }
    let limit = ctx
        .settings
        .get(defs::ANTIVIRUS_COMMAND_TIMEOUT)
        .max(Duration::from_secs(1));
    match run(&command, ctx.message, limit).await {
        Ok(Outcome::Clean) => {}
        Ok(Outcome::Virus(name)) => v.virus = Some(name),
        Err(e) => {
            tracing::info!(target: "smtp", "virus scanner command: {e}");
            v.unanswered(NAME, e.to_string());
        }
    }
    v
}

/// Write `message` to a temporary file and run `command` on it within `limit`.
pub async fn run(command: &str, message: &[u8], limit: Duration) -> Result<Outcome, Error> {
    let owned = message.to_vec();
    let file = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
        let mut f = tempfile::Builder::new()
            .prefix("heron-scan-")
            .suffix(".eml")
            .tempfile()?;
        f.write_all(&owned)?;
        f.flush()?;
        Ok(f.into_temp_path())
    })
    .await
    .map_err(|e| Error::Io(std::io::Error::other(e)))??;
    let path = file.to_string_lossy().into_owned();
    let Some(words) = command_line(command, &path) else {
        return Ok(Outcome::Clean);
    };
    let mut child = Command::new(&words[0])
        .args(&words[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let mut stdout = child.stdout.take();
    let waited = tokio::time::timeout(limit, async {
        let mut out = Vec::new();
        if let Some(s) = stdout.as_mut() {
            s.take(MAX_OUTPUT).read_to_end(&mut out).await?;
        }
        // Output past the cap is not wanted: close the pipe so the scanner cannot block on it.
        drop(stdout);
        let status = child.wait().await?;
        Ok::<_, Error>((status, out))
    })
    .await;
    let result = match waited {
        Ok(Ok((status, out))) => outcome(status.code(), &out),
        Ok(Err(e)) => Err(e),
        Err(_) => {
            let _ = child.kill().await;
            Err(Error::Timeout)
        }
    };
    drop(file);
    result
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn command_line_replaces_the_path_and_splits_at_spaces() {
        assert_eq!(
            command_line("clamscan  --no-summary %FILEPATH", "/tmp/m.eml").unwrap(),
            vec!["clamscan", "--no-summary", "/tmp/m.eml"]
        );
        assert_eq!(
            command_line("scan --file=%FILEPATH", "/t/x").unwrap(),
            vec!["scan", "--file=/t/x"]
        );
        assert!(command_line("   ", "/t/x").is_none());
    }

    #[test]
    fn exit_status_decides() {
        assert_eq!(outcome(Some(0), b"whatever").unwrap(), Outcome::Clean);
        assert_eq!(
            outcome(Some(1), b"/tmp/heron-scan-1.eml: Eicar-Signature FOUND\n").unwrap(),
            Outcome::Virus("Eicar-Signature".into())
        );
        assert_eq!(
            outcome(Some(1), b"\nWorm.Example\nmore\n").unwrap(),
            Outcome::Virus("Worm.Example".into())
        );
        assert_eq!(
            outcome(Some(1), b"").unwrap(),
            Outcome::Virus(UNNAMED.into())
        );
        assert!(matches!(outcome(Some(2), b""), Err(Error::Refused(_))));
        assert!(matches!(outcome(None, b""), Err(Error::Refused(_))));
    }

    #[tokio::test]
    async fn a_real_command_sees_the_message_and_a_slow_one_is_stopped() {
        let limit = Duration::from_secs(10);
        // grep exits 0 on a match, 1 on none: here 1 (a "virus") unless the file holds "clean".
        assert_eq!(
            run("grep -q clean %FILEPATH", b"a clean message\r\n", limit)
                .await
                .unwrap(),
            Outcome::Clean
        );
        assert_eq!(
            run("grep -q clean %FILEPATH", b"something else\r\n", limit)
                .await
                .unwrap(),
            Outcome::Virus(UNNAMED.into())
        );
        assert!(matches!(
            run("sleep 30", b"x", Duration::from_secs(1)).await,
            Err(Error::Timeout)
        ));
        assert!(matches!(
            run("/nonexistent/scanner %FILEPATH", b"x", limit).await,
            Err(Error::Io(_))
        ));
    }
}
