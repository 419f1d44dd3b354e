//! SPOOL-6: a program run on each new spooled message before its first delivery attempt.
//! `%filepath` in the command line becomes the path of a file holding the message; the
//! program may delete that file to stop delivery. It runs with a time limit, after which it
//! is killed and delivery goes on.
//!
//! Invariant: the command line is split into words by whitespace and run directly, never
//! through a shell, so message data cannot reach a shell.

use std::path::Path;
use std::time::Duration;

use tokio::process::Command;

/// What the program decided.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Deliver the message.
    Deliver,
    /// The program deleted the file: drop the message.
    Drop,
}

/// Run `command` on `message` (written to `dir/<id>.eml`); `dir` is created if needed.
pub async fn run(
    command: &str,
    timeout: Duration,
    dir: &Path,
    id: i64,
    message: &[u8],
) -> std::io::Result<Verdict> {
    tokio::fs::create_dir_all(dir).await?;
    let file = dir.join(format!("{id}.eml"));
    tokio::fs::write(&file, message).await?;
    let path = file.to_string_lossy();
    let words: Vec<String> = command
        .split_whitespace()
        .map(|w| w.replace("%filepath", &path))
        .collect();
    let Some((program, args)) = words.split_first() else {
        return Ok(Verdict::Deliver);
    };
    let mut child = Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) if !status.success() => {
            tracing::info!(target: "delivery", "#{id}: new-mail program exited with {status}");
        }
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::warn!(target: "delivery", "#{id}: new-mail program: {e}"),
        Err(_) => {
            tracing::warn!(target: "delivery", "#{id}: new-mail program still running after {timeout:?}; killed");
            let _ = child.kill().await;
        }
    }
    let verdict = if tokio::fs::try_exists(&file).await? {
        let _ = tokio::fs::remove_file(&file).await;
        Verdict::Deliver
    } else {
        Verdict::Drop
    };
    Ok(verdict)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn program_sees_the_file_and_may_drop_it() {
        let dir = tempfile::tempdir().unwrap();
        let keep = run(
            "true %filepath",
            Duration::from_secs(5),
            dir.path(),
            1,
            b"x",
        )
        .await
        .unwrap();
        assert_eq!(keep, Verdict::Deliver);
        assert!(!dir.path().join("1.eml").exists(), "file cleaned up");
        let drop = run("rm %filepath", Duration::from_secs(5), dir.path(), 2, b"x")
            .await
            .unwrap();
        assert_eq!(drop, Verdict::Drop);
    }

    #[tokio::test]
    async fn slow_program_is_killed_and_mail_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let v = run("sleep 30", Duration::from_millis(200), dir.path(), 3, b"x")
            .await
            .unwrap();
        assert_eq!(v, Verdict::Deliver);
    }

    #[tokio::test]
    async fn missing_program_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let r = run(
            "/nonexistent/prog %filepath",
            Duration::from_secs(1),
            dir.path(),
            4,
            b"x",
        )
        .await;
        assert!(r.is_err());
    }
}
