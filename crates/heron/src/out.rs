//! The CLI's standard output. [`outln!`] and [`out!`] write like `println!`/`print!` but do
//! not panic when the reader has gone away: `heron settings list | head -1` ends quietly.
//!
//! Invariants: a closed pipe (EPIPE) ends the process at once with success and no message,
//! as it means the reader has all it wanted; any other write error ends it with a message
//! and failure. Only the CLI verbs use these; `heron serve` never exits over its output.

use std::fmt;
use std::io::{ErrorKind, Write};

/// Write formatted text and a line end to standard output.
macro_rules! outln {
    () => { $crate::out::write(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::out::write(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Write formatted text to standard output.
macro_rules! out {
    ($($arg:tt)*) => { $crate::out::write(format_args!($($arg)*)) };
}

pub(crate) use {out, outln};

/// Write to standard output; exit on a closed pipe (quietly) or another error.
pub fn write(args: fmt::Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args).and_then(|()| stdout.flush()) {
        std::process::exit(exit_code(e.kind()).unwrap_or_else(|| {
            eprintln!("error: cannot write to standard output: {e}");
            1
        }));
    }
}

/// The exit code for a write error that is not a failure: a reader that went away.
fn exit_code(kind: ErrorKind) -> Option<i32> {
    (kind == ErrorKind::BrokenPipe).then_some(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_closed_pipe_ends_quietly() {
        assert_eq!(exit_code(ErrorKind::BrokenPipe), Some(0));
        assert_eq!(exit_code(ErrorKind::StorageFull), None);
    }
}
