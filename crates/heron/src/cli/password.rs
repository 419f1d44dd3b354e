//! Where a command's password comes from: `--password VALUE`, `--password -` (one line read
//! from standard input, for scripts, so it stays out of `ps` and the shell history), or, with
//! no `--password`, a prompt on the terminal that does not echo and asks twice.
//!
//! Invariant: a password is never empty, and the line end read from standard input (LF or
//! CRLF) is never part of it.

use std::io::{BufRead, IsTerminal};

use anyhow::Context;

/// The help text of every `--password` option.
pub const HELP: &str =
    "The password; `-` reads it from standard input; without this option it is asked for";

/// The password the option names or the user types.
pub fn read(option: Option<String>, what: &str) -> anyhow::Result<String> {
    let pw = match option.as_deref() {
        Some("-") => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("cannot read the password from standard input")?;
            strip_line_end(&line).to_owned()
        }
        Some(p) => p.to_owned(),
        None => prompt(what)?,
    };
    if pw.is_empty() {
        anyhow::bail!("the password is empty");
    }
    Ok(pw)
}

fn prompt(what: &str) -> anyhow::Result<String> {
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "no terminal to ask for the password: pass --password - and send it on standard input"
        );
    }
    let first = rpassword::prompt_password(format!("New password for {what}: "))
        .context("cannot read the password")?;
    let again = rpassword::prompt_password("Again: ").context("cannot read the password")?;
    if first != again {
        anyhow::bail!("the two passwords differ");
    }
    Ok(first)
}

/// The line without its LF or CRLF.
fn strip_line_end(line: &str) -> &str {
    let line = line.strip_suffix('\n').unwrap_or(line);
    line.strip_suffix('\r').unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ends_are_not_part_of_the_password() {
        assert_eq!(strip_line_end("pw\n"), "pw");
        assert_eq!(strip_line_end("pw\r\n"), "pw");
        assert_eq!(strip_line_end("pw"), "pw");
        assert_eq!(strip_line_end(" p w \n"), " p w ");
    }

    #[test]
    fn a_given_password_is_used_as_it_is() {
        assert_eq!(read(Some("s3cret".into()), "x").expect("read"), "s3cret");
        assert!(read(Some(String::new()), "x").is_err());
    }
}
