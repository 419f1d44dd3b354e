//! IMAP load generator for `bench/imap`: speaks the protocol over plain TCP with its own
//! small response reader (lines and literals), so that it costs the servers' shared CPUs as
//! little as possible. Runs on one thread.
//!
//! `imap-load load ...`: N clients on one shared mailbox, each running rounds of ten commands
//! (SELECT, FETCH FLAGS of a range, FETCH headers of a few, FETCH one whole message, STORE
//! +FLAGS, SEARCH, APPEND, STORE -FLAGS, UID STORE \Deleted of its own appended message, UID
//! EXPUNGE of it) until a time limit or a number of rounds. Every command is checked (tagged
//! OK and the untagged data it must produce); any NO, BAD, BYE, missing data, disconnect or
//! timeout is an error. Prints one JSON object on stdout.
//!
//! `imap-load idle ...`: opens K connections, each LOGIN, SELECT INBOX, IDLE; prints `READY`
//! and waits for a line on stdin (the caller measures the server's memory meanwhile), then
//! ends every IDLE with DONE, checks the tagged OK and prints one JSON object.

use std::collections::{BTreeSet, HashMap};
use std::io::{self, BufRead as _, Write as _};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{Barrier, Semaphore};

// ------------------------------------------------------------------------------ options

#[derive(Clone, Debug)]
struct Opts {
    host: String,
    port: u16,
    user: String,
    pass: String,
    clients: usize,
    seconds: f64,
    max_rounds: u64,
    base: u32,
    append_mbox: String,
    words: Vec<(String, usize)>,
    seed: u64,
    timeout: f64,
    conns: usize,
    concurrency: usize,
    samples: usize,
}

fn usage() -> ! {
    eprintln!(
        "usage: imap-load load --port P --clients N --seconds S --base COUNT --append-mbox FILE \
         --words w:count,... [--max-rounds R] [--seed X]\n       \
         imap-load idle --port P --conns K [--concurrency C]\n       \
         common: [--host 127.0.0.1] [--user U] [--pass PW] [--timeout SECONDS] [--samples N]"
    );
    std::process::exit(2);
}

fn parse_opts(args: &[String]) -> Opts {
    let mut o = Opts {
        host: "127.0.0.1".into(),
        port: 0,
        user: "u@bench.test".into(),
        pass: "Bench1234x".into(),
        clients: 10,
        seconds: 20.0,
        max_rounds: u64::MAX,
        base: 0,
        append_mbox: String::new(),
        words: Vec::new(),
        seed: 1,
        timeout: 60.0,
        conns: 1000,
        concurrency: 50,
        samples: 20,
    };
    let mut i = 0;
    while i < args.len() {
        let k = args[i].as_str();
        let v = args.get(i + 1).cloned().unwrap_or_else(|| usage());
        let num = |v: &str| -> f64 { v.parse().unwrap_or_else(|_| usage()) };
        match k {
            "--host" => o.host = v,
            "--port" => o.port = num(&v) as u16,
            "--user" => o.user = v,
            "--pass" => o.pass = v,
            "--clients" => o.clients = num(&v) as usize,
            "--seconds" => o.seconds = num(&v),
            "--max-rounds" => o.max_rounds = num(&v) as u64,
            "--base" => o.base = num(&v) as u32,
            "--append-mbox" => o.append_mbox = v,
            "--words" => {
                for w in v.split(',').filter(|w| !w.is_empty()) {
                    let (word, n) = w.split_once(':').unwrap_or_else(|| usage());
                    o.words.push((word.to_string(), num(n) as usize));
                }
            }
            "--seed" => o.seed = num(&v) as u64,
            "--timeout" => o.timeout = num(&v),
            "--conns" => o.conns = num(&v) as usize,
            "--concurrency" => o.concurrency = num(&v).max(1.0) as usize,
            "--samples" => o.samples = num(&v) as usize,
            _ => usage(),
        }
        i += 2;
    }
    if o.port == 0 {
        usage();
    }
    o
}

// ------------------------------------------------------------------------------ protocol

/// One response line, literals included: `text` holds the line with each literal replaced
/// by its `{N}` marker; `lits` the size and first bytes of each literal.
#[derive(Debug, Default)]
struct Line {
    text: Vec<u8>,
    lits: Vec<(usize, Vec<u8>)>,
}

impl Line {
    fn starts_with(&self, p: &[u8]) -> bool {
        self.text.len() >= p.len() && self.text[..p.len()].eq_ignore_ascii_case(p)
    }
    fn show(&self) -> String {
        let mut s = String::from_utf8_lossy(&self.text).into_owned();
        for (n, head) in &self.lits {
            let h: String = String::from_utf8_lossy(&head[..head.len().min(60)])
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            s.push_str(&format!(" [literal {n} bytes: {h:?}...]"));
        }
        if s.len() > 400 {
            let mut cut = 400;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            s.truncate(cut);
            s.push_str("...");
        }
        s
    }
    /// `* N WORD ...` -> (N, rest after the number), upper-cased keyword check by the caller.
    fn untagged_num(&self) -> Option<(u32, &[u8])> {
        let t = self.text.strip_prefix(b"* ")?;
        let end = t.iter().position(|b| !b.is_ascii_digit())?;
        if end == 0 {
            return None;
        }
        let n: u32 = std::str::from_utf8(&t[..end]).ok()?.parse().ok()?;
        Some((n, t[end..].strip_prefix(b" ").unwrap_or(&t[end..])))
    }
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

/// The literal size announced at the end of a line (`{123}\r\n` or `{123+}\r\n`).
fn literal_len(line: &[u8]) -> Option<usize> {
    let l = line.strip_suffix(b"\n")?;
    let l = l.strip_suffix(b"\r").unwrap_or(l);
    let l = l.strip_suffix(b"}")?;
    let open = l.iter().rposition(|&b| b == b'{')?;
    let digits = &l[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Status {
    Ok,
    No,
    Bad,
}

#[derive(Debug)]
struct Resp {
    status: Status,
    tagged: Line,
    untagged: Vec<Line>,
}

impl Resp {
    fn show(&self) -> String {
        let mut s = String::new();
        for l in self.untagged.iter().take(3) {
            s.push_str(&l.show());
            s.push_str(" | ");
        }
        if self.untagged.len() > 3 {
            s.push_str(&format!("({} more untagged) | ", self.untagged.len() - 3));
        }
        s.push_str(&self.tagged.show());
        s
    }
}

/// A failure that leaves the connection unusable.
#[derive(Debug)]
enum Fail {
    Io(String),
    Timeout,
    Bye(String),
}

impl std::fmt::Display for Fail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fail::Io(e) => write!(f, "connection error: {e}"),
            Fail::Timeout => write!(f, "no tagged response within the timeout"),
            Fail::Bye(l) => write!(f, "server said {l}"),
        }
    }
}

struct Conn {
    rd: BufReader<OwnedReadHalf>,
    wr: OwnedWriteHalf,
    next_tag: u64,
    timeout: Duration,
}

const MAX_LINE: usize = 4 << 20;

impl Conn {
    async fn open(o: &Opts, buf: usize) -> Result<(Conn, Line), Fail> {
        let fut = async {
            let s = TcpStream::connect((o.host.as_str(), o.port))
                .await
                .map_err(|e| Fail::Io(format!("connect: {e}")))?;
            let _ = s.set_nodelay(true);
            let (r, w) = s.into_split();
            let mut c = Conn {
                rd: BufReader::with_capacity(buf, r),
                wr: w,
                next_tag: 1,
                timeout: Duration::from_secs_f64(o.timeout),
            };
            let greeting = c.read_line().await?;
            Ok((c, greeting))
        };
        match tokio::time::timeout(Duration::from_secs_f64(o.timeout), fut).await {
            Ok(r) => r,
            Err(_) => Err(Fail::Timeout),
        }
    }

    async fn read_line(&mut self) -> Result<Line, Fail> {
        let mut line = Line::default();
        loop {
            let start = line.text.len();
            let n = self
                .rd
                .read_until(b'\n', &mut line.text)
                .await
                .map_err(|e| Fail::Io(e.to_string()))?;
            if n == 0 {
                return Err(Fail::Io(format!(
                    "connection closed by the server (partial line {:?})",
                    String::from_utf8_lossy(&line.text)
                )));
            }
            if line.text.len() > MAX_LINE {
                return Err(Fail::Io("response line over 4 MB".into()));
            }
            if let Some(len) = literal_len(&line.text[start..]) {
                // Keep the `{N}` marker in the text, drop the line end, read the literal.
                while line.text.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                    line.text.pop();
                }
                let mut head = Vec::new();
                let mut left = len;
                while left > 0 {
                    let buf = self.rd.fill_buf().await.map_err(|e| Fail::Io(e.to_string()))?;
                    if buf.is_empty() {
                        return Err(Fail::Io("connection closed inside a literal".into()));
                    }
                    let take = buf.len().min(left);
                    if head.len() < 256 {
                        let h = take.min(256 - head.len());
                        head.extend_from_slice(&buf[..h]);
                    }
                    self.rd.consume(take);
                    left -= take;
                }
                line.lits.push((len, head));
                continue;
            }
            while line.text.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                line.text.pop();
            }
            return Ok(line);
        }
    }

    fn tag(&mut self) -> String {
        let t = format!("a{}", self.next_tag);
        self.next_tag += 1;
        t
    }

    /// Read until the tagged response of `tag`. A `* BYE` is a failure unless `bye_ok`.
    async fn read_until_tagged(
        &mut self,
        tag: &str,
        untagged: &mut Vec<Line>,
        bye_ok: bool,
    ) -> Result<Resp, Fail> {
        let tag_sp = format!("{tag} ");
        loop {
            let l = self.read_line().await?;
            if l.starts_with(tag_sp.as_bytes()) {
                let rest = &l.text[tag_sp.len()..];
                let status = if rest.len() >= 2 && rest[..2].eq_ignore_ascii_case(b"OK") {
                    Status::Ok
                } else if rest.len() >= 2 && rest[..2].eq_ignore_ascii_case(b"NO") {
                    Status::No
                } else {
                    Status::Bad
                };
                return Ok(Resp {
                    status,
                    tagged: l,
                    untagged: std::mem::take(untagged),
                });
            }
            if l.starts_with(b"* BYE") && !bye_ok {
                return Err(Fail::Bye(l.show()));
            }
            if l.starts_with(b"+") {
                return Err(Fail::Io(format!("unexpected continuation: {}", l.show())));
            }
            untagged.push(l);
        }
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), Fail> {
        self.wr
            .write_all(bytes)
            .await
            .map_err(|e| Fail::Io(e.to_string()))
    }

    /// Send one command line and read its response.
    async fn cmd(&mut self, command: &str) -> Result<Resp, Fail> {
        let t = self.tag();
        let limit = self.timeout;
        let fut = async {
            self.write(format!("{t} {command}\r\n").as_bytes()).await?;
            let mut u = Vec::new();
            self.read_until_tagged(&t, &mut u, command == "LOGOUT").await
        };
        match tokio::time::timeout(limit, fut).await {
            Ok(r) => r,
            Err(_) => Err(Fail::Timeout),
        }
    }

    /// APPEND with a synchronizing literal (waits for the server's `+`).
    async fn append(&mut self, mailbox: &str, msg: &[u8]) -> Result<Resp, Fail> {
        let t = self.tag();
        let limit = self.timeout;
        let fut = async {
            self.write(format!("{t} APPEND {mailbox} {{{}}}\r\n", msg.len()).as_bytes())
                .await?;
            let mut u = Vec::new();
            loop {
                let l = self.read_line().await?;
                if l.starts_with(b"+") {
                    break;
                }
                if l.starts_with(format!("{t} ").as_bytes()) {
                    // Refused before the literal.
                    return Ok(Resp {
                        status: if contains_ci(&l.text[..l.text.len().min(t.len() + 4)], b" NO") {
                            Status::No
                        } else {
                            Status::Bad
                        },
                        tagged: l,
                        untagged: u,
                    });
                }
                if l.starts_with(b"* BYE") {
                    return Err(Fail::Bye(l.show()));
                }
                u.push(l);
            }
            self.write(msg).await?;
            self.write(b"\r\n").await?;
            self.read_until_tagged(&t, &mut u, false).await
        };
        match tokio::time::timeout(limit, fut).await {
            Ok(r) => r,
            Err(_) => Err(Fail::Timeout),
        }
    }

    /// Connect, LOGIN, SELECT INBOX; returns the EXISTS count.
    async fn login_select(o: &Opts, buf: usize) -> Result<(Conn, u32), String> {
        let (mut c, greeting) = Conn::open(o, buf).await.map_err(|e| e.to_string())?;
        if !greeting.starts_with(b"* OK") {
            return Err(format!("greeting: {}", greeting.show()));
        }
        let login = format!("LOGIN {} {}", quote(&o.user), quote(&o.pass));
        let r = c.cmd(&login).await.map_err(|e| format!("LOGIN: {e}"))?;
        if r.status != Status::Ok {
            return Err(format!("C: LOGIN ... S: {}", r.show()));
        }
        let r = c.cmd("SELECT INBOX").await.map_err(|e| format!("SELECT INBOX: {e}"))?;
        if r.status != Status::Ok {
            return Err(format!("C: SELECT INBOX S: {}", r.show()));
        }
        let exists = exists_of(&r).ok_or_else(|| format!("SELECT without EXISTS: {}", r.show()))?;
        Ok((c, exists))
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn exists_of(r: &Resp) -> Option<u32> {
    r.untagged.iter().rev().find_map(|l| match l.untagged_num() {
        Some((n, rest)) if rest.eq_ignore_ascii_case(b"EXISTS") => Some(n),
        _ => None,
    })
}

/// Sequence numbers of the untagged FETCH responses that carry `item` (e.g. `FLAGS`,
/// `BODY[HEADER]`), with whether they carry a non-empty literal.
fn fetched(r: &Resp, item: &[u8]) -> HashMap<u32, bool> {
    let mut m = HashMap::new();
    for l in &r.untagged {
        if let Some((n, rest)) = l.untagged_num() {
            if rest.len() >= 5 && rest[..5].eq_ignore_ascii_case(b"FETCH") && contains_ci(rest, item) {
                let lit = l.lits.iter().any(|(len, _)| *len > 0);
                let e = m.entry(n).or_insert(false);
                *e |= lit;
            }
        }
    }
    m
}

// ------------------------------------------------------------------------------ load

/// What the statistics are kept by: the ten steps of a round, SEARCH split by its key.
const NKINDS: usize = 11;
const KINDS: [&str; NKINDS] = [
    "SELECT",
    "FETCH FLAGS",
    "FETCH HEADER",
    "FETCH BODY",
    "STORE +FLAGS",
    "SEARCH SUBJECT",
    "SEARCH UNSEEN",
    "APPEND",
    "STORE -FLAGS",
    "UID STORE Deleted",
    "UID EXPUNGE",
];

#[derive(Default)]
struct Stats {
    ok: [u64; NKINDS],
    err: [u64; NKINDS],
    overtime: u64,
    lat_us: [Vec<u32>; NKINDS],
    samples: Vec<String>,
    disconnects: u64,
    login_errors: u64,
    rounds: u64,
    last_done: Option<Instant>,
}

impl Stats {
    fn merge(&mut self, o: Stats, max_samples: usize) {
        for i in 0..NKINDS {
            self.ok[i] += o.ok[i];
            self.err[i] += o.err[i];
            self.lat_us[i].extend_from_slice(&o.lat_us[i]);
        }
        self.overtime += o.overtime;
        self.disconnects += o.disconnects;
        self.login_errors += o.login_errors;
        self.rounds += o.rounds;
        for s in o.samples {
            if self.samples.len() < max_samples {
                self.samples.push(s);
            }
        }
        self.last_done = match (self.last_done, o.last_done) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in 1..=n.
    fn pick(&mut self, n: u32) -> u32 {
        (self.next() % n as u64) as u32 + 1
    }
}

/// Messages of an mbox file, CRLF line ends, separator lines removed, `>From ` unquoted.
fn read_mbox(path: &str) -> io::Result<Vec<Vec<u8>>> {
    let f = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut msgs: Vec<Vec<u8>> = Vec::new();
    let mut cur: Option<Vec<u8>> = None;
    let mut prev_empty = true;
    for line in f.split(b'\n') {
        let mut line = line?;
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if prev_empty && line.starts_with(b"From ") {
            if let Some(mut m) = cur.take() {
                // Drop the empty line that separates messages.
                if m.ends_with(b"\r\n\r\n") {
                    m.truncate(m.len() - 2);
                }
                msgs.push(m);
            }
            cur = Some(Vec::new());
            prev_empty = false;
            continue;
        }
        prev_empty = line.is_empty();
        if let Some(m) = cur.as_mut() {
            let l = if line.starts_with(b">") && line.iter().skip_while(|&&b| b == b'>').take(5).eq(b"From ".iter()) {
                &line[1..]
            } else {
                &line[..]
            };
            m.extend_from_slice(l);
            m.extend_from_slice(b"\r\n");
        }
    }
    if let Some(mut m) = cur.take() {
        if m.ends_with(b"\r\n\r\n") {
            m.truncate(m.len() - 2);
        }
        msgs.push(m);
    }
    Ok(msgs)
}

/// The message with its Message-ID replaced by a unique one.
fn with_message_id(msg: &[u8], id: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(msg.len() + 64);
    let mut in_headers = true;
    let mut replaced = false;
    for line in msg.split_inclusive(|&b| b == b'\n') {
        if in_headers && (line == b"\r\n" || line == b"\n") {
            if !replaced {
                out.extend_from_slice(format!("Message-ID: <{id}>\r\n").as_bytes());
                replaced = true;
            }
            in_headers = false;
        }
        if in_headers && !replaced && line.len() > 11 && line[..11].eq_ignore_ascii_case(b"Message-ID:") {
            out.extend_from_slice(format!("Message-ID: <{id}>\r\n").as_bytes());
            replaced = true;
            continue;
        }
        out.extend_from_slice(line);
    }
    out
}

struct Shared {
    o: Opts,
    appends: Vec<Vec<u8>>,
    nonce: u64,
}

enum Check {
    Pass,
    Error(String),
}

async fn client(id: usize, sh: Arc<Shared>, barrier: Arc<Barrier>, login_gate: Arc<Semaphore>) -> Stats {
    let o = &sh.o;
    let mut st = Stats::default();
    let mut rng = Rng(o.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (id as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03) | 1);
    let permit = login_gate.acquire().await;
    let conn = Conn::login_select(o, 64 * 1024).await;
    drop(permit);
    let (mut c, _) = match conn {
        Ok(x) => x,
        Err(e) => {
            st.login_errors += 1;
            st.samples.push(format!("client {id}: login/select failed: {e}"));
            barrier.wait().await;
            return st;
        }
    };
    // Everyone starts together; the caller takes the time right after the barrier.
    barrier.wait().await;
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs_f64(o.seconds);
    let base = o.base;
    let mut round: u64 = 0;
    'rounds: while round < o.max_rounds && Instant::now() < deadline {
        round += 1;
        let r = rng.pick(base);
        let flag = if round % 2 == 0 { "\\Seen" } else { "$Bench" };
        let mut appended: Option<u32> = None;
        for k in 0..10 {
            let start = Instant::now();
            let cmd_text: String;
            let res = match k {
                0 => {
                    cmd_text = "SELECT INBOX".into();
                    c.cmd(&cmd_text).await
                }
                1 => {
                    let a = rng.pick(base.saturating_sub(49).max(1));
                    cmd_text = format!("FETCH {}:{} (FLAGS)", a, (a + 49).min(base));
                    c.cmd(&cmd_text).await
                }
                2 => {
                    let set: BTreeSet<u32> = (0..5).map(|_| rng.pick(base)).collect();
                    let list: Vec<String> = set.iter().map(|n| n.to_string()).collect();
                    cmd_text = format!("FETCH {} (BODY.PEEK[HEADER])", list.join(","));
                    c.cmd(&cmd_text).await
                }
                3 => {
                    cmd_text = format!("FETCH {r} (BODY.PEEK[])");
                    c.cmd(&cmd_text).await
                }
                4 => {
                    cmd_text = format!("STORE {r} +FLAGS ({flag})");
                    c.cmd(&cmd_text).await
                }
                5 => {
                    cmd_text = if round % 2 == 0 || o.words.is_empty() {
                        "SEARCH UNSEEN".into()
                    } else {
                        let (w, _) = &o.words[(rng.next() % o.words.len() as u64) as usize];
                        format!("SEARCH SUBJECT {w}")
                    };
                    c.cmd(&cmd_text).await
                }
                6 => {
                    let m = &sh.appends[(rng.next() % sh.appends.len() as u64) as usize];
                    let msg = with_message_id(m, &format!("append.{}.{id}.{round}@bench.test", sh.nonce));
                    cmd_text = format!("APPEND INBOX {{{}}}", msg.len());
                    c.append("INBOX", &msg).await
                }
                7 => {
                    cmd_text = format!("STORE {r} -FLAGS ({flag})");
                    c.cmd(&cmd_text).await
                }
                8 => {
                    let Some(uid) = appended else { continue };
                    cmd_text = format!("UID STORE {uid} +FLAGS (\\Deleted)");
                    c.cmd(&cmd_text).await
                }
                _ => {
                    let Some(uid) = appended else { continue };
                    cmd_text = format!("UID EXPUNGE {uid}");
                    c.cmd(&cmd_text).await
                }
            };
            let done = Instant::now();
            let k_step = k;
            let k = match k {
                0..=4 => k,
                5 if cmd_text.starts_with("SEARCH SUBJECT") => 5,
                5 => 6,
                _ => k + 1,
            };
            let resp = match res {
                Ok(r) => r,
                Err(f) => {
                    st.err[k] += 1;
                    st.disconnects += 1;
                    if st.samples.len() < o.samples {
                        st.samples.push(format!("client {id}: C: {cmd_text} -> {f}"));
                    }
                    break 'rounds;
                }
            };
            let check = if resp.status != Status::Ok {
                Check::Error("not OK".into())
            } else {
                check_response(k_step, &cmd_text, &resp, base, r, &o.words, &mut appended)
            };
            match check {
                Check::Pass => {
                    st.ok[k] += 1;
                    st.lat_us[k].push(done.duration_since(start).as_micros().min(u32::MAX as u128) as u32);
                    if done > deadline {
                        st.overtime += 1;
                    }
                }
                Check::Error(why) => {
                    st.err[k] += 1;
                    if st.samples.len() < o.samples {
                        st.samples.push(format!("client {id}: C: {cmd_text} -> {why}; S: {}", resp.show()));
                    }
                }
            }
        }
        st.rounds += 1;
    }
    st.last_done = Some(Instant::now());
    let _ = c.cmd("LOGOUT").await;
    st
}

fn check_response(
    k: usize,
    cmd: &str,
    r: &Resp,
    base: u32,
    msg: u32,
    words: &[(String, usize)],
    appended: &mut Option<u32>,
) -> Check {
    match k {
        0 => match exists_of(r) {
            Some(n) if n >= base => Check::Pass,
            Some(n) => Check::Error(format!("EXISTS {n} < {base} messages in the mailbox")),
            None => Check::Error("no EXISTS".into()),
        },
        1 => {
            let (a, b) = cmd["FETCH ".len()..]
                .split_once(' ')
                .and_then(|(range, _)| range.split_once(':'))
                .map(|(a, b)| (a.parse::<u32>().unwrap_or(0), b.parse::<u32>().unwrap_or(0)))
                .unwrap_or((0, 0));
            let got = fetched(r, b"FLAGS");
            let missing: Vec<u32> = (a..=b).filter(|n| !got.contains_key(n)).collect();
            if missing.is_empty() {
                Check::Pass
            } else {
                Check::Error(format!("no FETCH FLAGS for {} message(s), e.g. {}", missing.len(), missing[0]))
            }
        }
        2 => {
            let set = cmd["FETCH ".len()..].split(' ').next().unwrap_or("");
            let got = fetched(r, b"BODY[HEADER]");
            for n in set.split(',').filter_map(|n| n.parse::<u32>().ok()) {
                if got.get(&n) != Some(&true) {
                    return Check::Error(format!("no BODY[HEADER] literal for message {n}"));
                }
            }
            Check::Pass
        }
        3 => {
            let got = fetched(r, b"BODY[]");
            if got.get(&msg) == Some(&true) {
                Check::Pass
            } else {
                Check::Error(format!("no BODY[] literal for message {msg}"))
            }
        }
        // A server may leave out the FETCH when the flags did not change (another client
        // stored the same flag on the same message just before): OK is enough.
        4 | 7 => Check::Pass,
        5 => {
            let line = r.untagged.iter().find(|l| l.starts_with(b"* SEARCH") || l.starts_with(b"* ESEARCH"));
            let Some(line) = line else {
                return Check::Error("no SEARCH response".into());
            };
            if let Some(w) = cmd.strip_prefix("SEARCH SUBJECT ") {
                // Only fill messages have these words in their subject: the count is known.
                let expect = words.iter().find(|(x, _)| x == w).map(|(_, n)| *n).unwrap_or(0);
                let got = if line.starts_with(b"* SEARCH") {
                    line.text[8..].split(|b| *b == b' ').filter(|t| !t.is_empty()).count()
                } else {
                    usize::MAX // ESEARCH only when asked for; not expected here
                };
                if got != expect {
                    return Check::Error(format!("SEARCH SUBJECT {w} found {got} messages, expected {expect}"));
                }
            }
            Check::Pass
        }
        6 => {
            // [APPENDUID uidvalidity uid] (UIDPLUS), needed to expunge exactly this message.
            let t = String::from_utf8_lossy(&r.tagged.text).to_ascii_uppercase();
            let uid = t
                .find("[APPENDUID ")
                .and_then(|i| t[i + 11..].split(|c: char| c == ' ' || c == ']').nth(1).map(str::to_string))
                .and_then(|u| u.parse::<u32>().ok());
            match uid {
                Some(u) => {
                    *appended = Some(u);
                    Check::Pass
                }
                None => Check::Error("no [APPENDUID] in the tagged OK".into()),
            }
        }
        8 => {
            let uid = appended.unwrap_or(0);
            let seen = r.untagged.iter().any(|l| {
                l.untagged_num().is_some_and(|(_, rest)| rest.len() >= 5 && rest[..5].eq_ignore_ascii_case(b"FETCH"))
                    && fetch_uid(l) == Some(uid)
            });
            if seen {
                Check::Pass
            } else {
                Check::Error(format!("no FETCH for the appended message UID {uid}"))
            }
        }
        _ => {
            let any = r.untagged.iter().any(|l| {
                l.untagged_num().is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(b"EXPUNGE"))
                    || l.starts_with(b"* VANISHED")
            });
            if any {
                Check::Pass
            } else {
                Check::Error("no EXPUNGE response".into())
            }
        }
    }
}

/// The UID item of an untagged FETCH line.
fn fetch_uid(l: &Line) -> Option<u32> {
    let t = &l.text;
    let i = (0..t.len().saturating_sub(4)).find(|&i| {
        (t[i] == b'(' || t[i] == b' ') && t[i + 1..i + 5].eq_ignore_ascii_case(b"UID ")
    })?;
    let digits: Vec<u8> = t[i + 5..].iter().take_while(|b| b.is_ascii_digit()).copied().collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

async fn run_load(o: Opts) -> i32 {
    let appends = match read_mbox(&o.append_mbox) {
        Ok(m) if !m.is_empty() => m,
        Ok(_) => {
            eprintln!("imap-load: no message in {}", o.append_mbox);
            return 2;
        }
        Err(e) => {
            eprintln!("imap-load: {}: {e}", o.append_mbox);
            return 2;
        }
    };
    if o.base < 50 {
        eprintln!("imap-load: --base must be at least 50");
        return 2;
    }
    let nonce = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
    let sh = Arc::new(Shared { o: o.clone(), appends, nonce });
    let barrier = Arc::new(Barrier::new(o.clients + 1));
    let gate = Arc::new(Semaphore::new(o.concurrency));
    let login_start = Instant::now();
    let mut tasks = Vec::new();
    for id in 0..o.clients {
        tasks.push(tokio::spawn(client(id, sh.clone(), barrier.clone(), gate.clone())));
    }
    barrier.wait().await;
    let t0 = Instant::now();
    let login_secs = t0.duration_since(login_start).as_secs_f64();
    let mut st = Stats::default();
    for t in tasks {
        match t.await {
            Ok(s) => st.merge(s, o.samples),
            Err(e) => {
                st.disconnects += 1;
                st.samples.push(format!("client task failed: {e}"));
            }
        }
    }
    let end = Instant::now();
    let deadline = t0 + Duration::from_secs_f64(o.seconds);
    // Commands are counted until the deadline (or until the last client ended, if earlier).
    let window = st.last_done.unwrap_or(end).min(deadline).duration_since(t0).as_secs_f64();
    let ok: u64 = st.ok.iter().sum();
    let counted = ok - st.overtime;
    let errors: u64 = st.err.iter().sum::<u64>() + st.login_errors;

    // The mailbox must be back to its size: every client expunged what it appended.
    let final_exists = match Conn::login_select(&o, 64 * 1024).await {
        Ok((mut c, n)) => {
            let _ = c.cmd("LOGOUT").await;
            Some(n)
        }
        Err(e) => {
            st.samples.push(format!("final check: {e}"));
            None
        }
    };

    let mut per = Vec::new();
    for i in 0..NKINDS {
        let mut l = std::mem::take(&mut st.lat_us[i]);
        l.sort_unstable();
        let mean = if l.is_empty() { 0.0 } else { l.iter().map(|&x| x as f64).sum::<f64>() / l.len() as f64 / 1000.0 };
        per.push(format!(
            "{}: {{\"ok\": {}, \"errors\": {}, \"mean_ms\": {:.3}, \"p50_ms\": {:.3}, \"p99_ms\": {:.3}, \"max_ms\": {:.3}}}",
            json_str(KINDS[i]),
            st.ok[i],
            st.err[i],
            mean,
            percentile(&l, 0.5),
            percentile(&l, 0.99),
            l.last().copied().unwrap_or(0) as f64 / 1000.0
        ));
    }
    let samples: Vec<String> = st.samples.iter().map(|s| json_str(s)).collect();
    println!(
        "{{\"clients\": {}, \"seconds\": {:.3}, \"elapsed\": {:.3}, \"login_seconds\": {:.3}, \"ok\": {}, \"counted\": {}, \
         \"rate\": {:.1}, \"errors\": {}, \"disconnects\": {}, \"login_errors\": {}, \"rounds\": {}, \"final_exists\": {}, \
         \"per_command\": {{{}}}, \"error_samples\": [{}]}}",
        o.clients,
        window,
        end.duration_since(t0).as_secs_f64(),
        login_secs,
        ok,
        counted,
        if window > 0.0 { counted as f64 / window } else { 0.0 },
        errors,
        st.disconnects,
        st.login_errors,
        st.rounds,
        final_exists.map(|n| n.to_string()).unwrap_or_else(|| "null".into()),
        per.join(", "),
        samples.join(", ")
    );
    0
}

// ------------------------------------------------------------------------------ idle

async fn idle_one(o: Arc<Opts>) -> Result<Conn, String> {
    let (mut c, _) = Conn::login_select(&o, 2048).await?;
    let t = c.tag();
    let limit = c.timeout;
    let fut = async {
        c.write(format!("{t} IDLE\r\n").as_bytes()).await?;
        loop {
            let l = c.read_line().await?;
            if l.starts_with(b"+") {
                return Ok::<Result<(), String>, Fail>(Ok(()));
            }
            if l.starts_with(format!("{t} ").as_bytes()) || l.starts_with(b"* BYE") {
                return Ok(Err(l.show()));
            }
        }
    };
    match tokio::time::timeout(limit, fut).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(l))) => return Err(format!("C: {t} IDLE S: {l}")),
        Ok(Err(f)) => return Err(format!("C: {t} IDLE -> {f}")),
        Err(_) => return Err(format!("C: {t} IDLE -> no continuation within the timeout")),
    }
    // Remember the IDLE tag for DONE.
    c.next_tag -= 1;
    Ok(c)
}

async fn idle_done(mut c: Conn) -> Result<(), String> {
    let t = format!("a{}", c.next_tag);
    c.next_tag += 1;
    let limit = c.timeout;
    let fut = async {
        c.write(b"DONE\r\n").await?;
        let mut u = Vec::new();
        let r = c.read_until_tagged(&t, &mut u, false).await?;
        if r.status != Status::Ok {
            return Ok::<Result<(), String>, Fail>(Err(format!("C: DONE S: {}", r.show())));
        }
        let r = c.cmd("LOGOUT").await?;
        if r.status != Status::Ok {
            return Ok(Err(format!("C: LOGOUT S: {}", r.show())));
        }
        Ok(Ok(()))
    };
    match tokio::time::timeout(limit, fut).await {
        Ok(Ok(r)) => r,
        Ok(Err(f)) => Err(format!("C: DONE -> {f}")),
        Err(_) => Err("C: DONE -> no tagged response within the timeout".into()),
    }
}

async fn run_idle(o: Opts) -> i32 {
    let o = Arc::new(o);
    let gate = Arc::new(Semaphore::new(o.concurrency));
    let t0 = Instant::now();
    let mut tasks = Vec::with_capacity(o.conns);
    for _ in 0..o.conns {
        let o = o.clone();
        let gate = gate.clone();
        tasks.push(tokio::spawn(async move {
            let _p = gate.acquire().await;
            idle_one(o).await
        }));
    }
    let mut conns = Vec::with_capacity(o.conns);
    let mut samples = Vec::new();
    let mut errors = 0u64;
    for (i, t) in tasks.into_iter().enumerate() {
        match t.await {
            Ok(Ok(c)) => conns.push(c),
            Ok(Err(e)) => {
                errors += 1;
                if samples.len() < o.samples {
                    samples.push(format!("connection {i}: {e}"));
                }
            }
            Err(e) => {
                errors += 1;
                samples.push(format!("connection {i}: task failed: {e}"));
            }
        }
        if (i + 1) % 1000 == 0 {
            eprintln!("imap-load: {} connections idling ({:.1} s)", i + 1, t0.elapsed().as_secs_f64());
        }
    }
    let open_secs = t0.elapsed().as_secs_f64();
    println!("READY {} {} {:.3}", conns.len(), errors, open_secs);
    let _ = io::stdout().flush();
    // Hold the connections until the caller has measured.
    let mut line = String::new();
    let _ = io::stdin().read_line(&mut line);
    let opened = conns.len();
    let mut tasks = Vec::with_capacity(opened);
    for c in conns {
        let gate = gate.clone();
        tasks.push(tokio::spawn(async move {
            let _p = gate.acquire().await;
            idle_done(c).await
        }));
    }
    let mut done_ok = 0u64;
    for (i, t) in tasks.into_iter().enumerate() {
        match t.await {
            Ok(Ok(())) => done_ok += 1,
            Ok(Err(e)) => {
                errors += 1;
                if samples.len() < o.samples {
                    samples.push(format!("connection {i}: {e}"));
                }
            }
            Err(e) => {
                errors += 1;
                samples.push(format!("connection {i}: task failed: {e}"));
            }
        }
    }
    let samples: Vec<String> = samples.iter().map(|s| json_str(s)).collect();
    println!(
        "{{\"opened\": {opened}, \"open_seconds\": {open_secs:.3}, \"done_ok\": {done_ok}, \"errors\": {errors}, \"error_samples\": [{}]}}",
        samples.join(", ")
    );
    0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 2 {
        usage();
    }
    let o = parse_opts(&args[2..]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| {
            eprintln!("imap-load: runtime: {e}");
            std::process::exit(2)
        });
    let code = match args[1].as_str() {
        "load" => rt.block_on(run_load(o)),
        "idle" => rt.block_on(run_idle(o)),
        _ => usage(),
    };
    std::process::exit(code);
}
