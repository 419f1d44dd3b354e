//! OPS-2 logs: one file per protocol per day (`smtp-2026-11-21.log`, `pop3-…`, `delivery-…`,
//! `events-…`) in `log.dir`, each at its own level (none / exceptions / normal / detailed)
//! that can be changed while running, every line carrying the session id, and files older
//! than `log.retention_days` deleted.
//!
//! Events name their file by their tracing target (`pop3`, `smtp`, ...); events of any other
//! target go to `events`. Records of the `log` crate (rustls) arrive through a bridge that
//! drops [`QUIET_TARGETS`]. A session's span (`session{id=…}`) supplies the id.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use heron_settings::{Settings, defs};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// Log files and the setting that sets each one's level.
const FILES: &[(&str, &str)] = &[
    ("smtp", "log.smtp"),
    ("pop3", "log.pop"),
    ("imap", "log.imap"),
    ("pop-retrieval", "log.pop_retrieval"),
    ("delivery", "log.delivery"),
    ("events", "log.events"),
];

/// `log` crate targets (and their submodules) never turned into tracing events, so never
/// written to the files or to stderr. `rustls::msgs::handshake` warns about every client that sends an IP address (or another malformed name) as its TLS server
/// name (SNI): ordinary for clients connecting by IP, and nothing an administrator can act on.
pub const QUIET_TARGETS: &[&str] = &["rustls::msgs::handshake"];

/// 0 = none, 1 = exceptions (warn and error), 2 = normal (+ info), 3 = detailed (+ debug, trace).
fn level_number(name: &str) -> u8 {
    match name {
        "exceptions" => 1,
        "normal" => 2,
        "detailed" => 3,
        _ => 0,
    }
}

fn needed(level: &Level) -> u8 {
    match *level {
        Level::ERROR | Level::WARN => 1,
        Level::INFO => 2,
        _ => 3,
    }
}

/// Appends one line to the events log of the data directory `data`, as another process than
/// the server does (the CLI): same directory (`log.dir`), same line format, and only when
/// `log.events` is at least `normal`. Appending whole lines keeps the server's own lines intact.
pub fn append_event(data: &Path, settings: &Settings, text: &str) {
    if level_number(&settings.get(defs::LOG_EVENTS)) < needed(&Level::INFO) {
        return;
    }
    let dir = resolve_dir(data, &settings.get(defs::LOG_DIR));
    let now = chrono::Utc::now();
    let path = dir.join(format!("events-{}.log", now.format("%Y-%m-%d")));
    let line = format!(
        "{} [-] {:<5} {}\n",
        now.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
        Level::INFO,
        text.replace(['\r', '\n'], " ")
    );
    let written = fs::create_dir_all(&dir).and_then(|()| {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?
            .write_all(line.as_bytes())
    });
    if let Err(e) = written {
        eprintln!(
            "warning: cannot write the events log {}: {e}",
            path.display()
        );
    }
}

struct Sink {
    day: String,
    file: Option<File>,
}

/// The per-protocol file layer.
pub struct FileLayer {
    dir: Arc<Mutex<PathBuf>>,
    levels: Arc<HashMap<&'static str, AtomicU8>>,
    sinks: Mutex<HashMap<&'static str, Sink>>,
}

/// Handle to keep the layer's levels and directory in step with the settings.
#[derive(Clone)]
pub struct LogControl {
    dir: Arc<Mutex<PathBuf>>,
    levels: Arc<HashMap<&'static str, AtomicU8>>,
    data: PathBuf,
}

/// The log directory a setting value names (relative to the data directory).
fn resolve_dir(data: &Path, v: &str) -> PathBuf {
    let p = Path::new(v);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        data.join(p)
    }
}

/// Make the layer and its control for a data directory.
pub fn layer(data: &Path, settings: &Settings) -> (FileLayer, LogControl) {
    let levels: HashMap<&'static str, AtomicU8> =
        FILES.iter().map(|(f, _)| (*f, AtomicU8::new(0))).collect();
    let levels = Arc::new(levels);
    let dir = Arc::new(Mutex::new(resolve_dir(data, &settings.get(defs::LOG_DIR))));
    let control = LogControl {
        dir: dir.clone(),
        levels: levels.clone(),
        data: data.to_path_buf(),
    };
    control.apply(settings);
    (
        FileLayer {
            dir,
            levels,
            sinks: Mutex::new(HashMap::new()),
        },
        control,
    )
}

impl LogControl {
    /// The directory the log files are written to now.
    pub fn dir(&self) -> PathBuf {
        self.dir
            .lock()
            .map(|d| d.clone())
            .unwrap_or_else(|_| self.data.join("logs"))
    }

    /// Re-read levels and directory from the settings.
    pub fn apply(&self, settings: &Settings) {
        for (file, key) in FILES {
            let v = settings.raw(key).unwrap_or_default();
            if let Some(l) = self.levels.get(file) {
                l.store(level_number(&v), Ordering::Relaxed);
            }
        }
        if let Ok(mut d) = self.dir.lock() {
            *d = resolve_dir(&self.data, &settings.get(defs::LOG_DIR));
        }
    }

    /// Delete log files whose date is more than `days` days ago (0 keeps everything).
    pub fn prune(&self, days: u64) {
        if days == 0 {
            return;
        }
        let Some(dir) = self.dir.lock().ok().map(|d| d.clone()) else {
            return;
        };
        let cutoff = chrono::Utc::now().date_naive() - chrono::Days::new(days);
        let Ok(entries) = fs::read_dir(&dir) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if log_date(&name).is_some_and(|d| d < cutoff) {
                if let Err(err) = fs::remove_file(e.path()) {
                    tracing::warn!(target: "events", "cannot delete old log {name}: {err}");
                } else {
                    tracing::info!(target: "events", "deleted old log {name}");
                }
            }
        }
    }
}

/// The date in a log file name `{protocol}-{YYYY-MM-DD}.log`; `None` for other files.
fn log_date(name: &str) -> Option<chrono::NaiveDate> {
    let rest = FILES
        .iter()
        .find_map(|(f, _)| name.strip_prefix(f)?.strip_prefix('-'))?;
    chrono::NaiveDate::parse_from_str(rest.strip_suffix(".log")?, "%Y-%m-%d").ok()
}

/// A session span's id, kept in the span's extensions.
struct SessionId(String);

#[derive(Default)]
struct Collect {
    message: String,
    fields: String,
    id: Option<String>,
}

impl Visit for Collect {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => {
                let _ = write!(self.message, "{value:?}");
            }
            "id" => self.id = Some(format!("{value:?}")),
            name => {
                let _ = write!(self.fields, " {name}={value:?}");
            }
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message.push_str(value),
            "id" => self.id = Some(value.to_owned()),
            name => {
                let _ = write!(self.fields, " {name}={value:?}");
            }
        }
    }
}

impl FileLayer {
    fn file_for(target: &str) -> &'static str {
        FILES
            .iter()
            .map(|(f, _)| *f)
            .find(|f| *f == target)
            .unwrap_or("events")
    }

    fn write(&self, file: &'static str, line: &str) {
        let now = chrono::Utc::now();
        let day = now.format("%Y-%m-%d").to_string();
        let Ok(mut sinks) = self.sinks.lock() else {
            return;
        };
        let sink = sinks.entry(file).or_insert(Sink {
            day: String::new(),
            file: None,
        });
        if sink.day != day || sink.file.is_none() {
            let Some(dir) = self.dir.lock().ok().map(|d| d.clone()) else {
                return;
            };
            let _ = fs::create_dir_all(&dir);
            let path = dir.join(format!("{file}-{day}.log"));
            sink.file = OpenOptions::new().create(true).append(true).open(path).ok();
            sink.day = day;
        }
        if let Some(f) = sink.file.as_mut() {
            let _ = f
                .write_all(format!("{} {line}\n", now.format("%Y-%m-%dT%H:%M:%S%.3fZ")).as_bytes());
        }
    }
}

impl<S> Layer<S> for FileLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != "session" {
            return;
        }
        let mut c = Collect::default();
        attrs.record(&mut c);
        if let (Some(sid), Some(span)) = (c.id, ctx.span(id)) {
            span.extensions_mut().insert(SessionId(sid));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        let file = Self::file_for(meta.target());
        let level = self
            .levels
            .get(file)
            .map(|l| l.load(Ordering::Relaxed))
            .unwrap_or(0);
        if needed(meta.level()) > level {
            return;
        }
        let sid = ctx.event_scope(event).and_then(|scope| {
            scope
                .from_root()
                .find_map(|s| s.extensions().get::<SessionId>().map(|i| i.0.clone()))
        });
        let mut c = Collect::default();
        event.record(&mut c);
        let line = format!(
            "[{}] {:<5} {}{}",
            sid.as_deref().unwrap_or("-"),
            meta.level(),
            c.message,
            c.fields
        );
        self.write(file, &line.replace(['\r', '\n'], " "));
    }
}
