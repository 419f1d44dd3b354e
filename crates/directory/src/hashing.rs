//! Where password hashing runs. Argon2 is slow and memory-hard by design (about 19 MiB per
//! verification with the default parameters), so every derivation and verification runs on
//! a small fixed set of threads, one per core: the async workers never stall on it, and the
//! memory it needs is bounded by the number of those threads (the allocator keeps a thread's
//! large buffers for reuse, so a growing pool of short-lived threads would keep ever more).
//!
//! Invariant: at most [`threads()`] hashing jobs run at once; the rest wait in line.

use std::sync::mpsc::{self, Sender};
use std::sync::{Mutex, OnceLock};

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

fn threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 8)
}

fn queue() -> Option<&'static Mutex<Sender<Job>>> {
    static QUEUE: OnceLock<Option<Mutex<Sender<Job>>>> = OnceLock::new();
    QUEUE
        .get_or_init(|| {
            let (tx, rx) = mpsc::channel::<Job>();
            let rx = std::sync::Arc::new(Mutex::new(rx));
            for i in 0..threads() {
                let rx = rx.clone();
                let spawned = std::thread::Builder::new()
                    .name(format!("password-hash-{i}"))
                    .spawn(move || {
                        loop {
                            let job = match rx.lock() {
                                Ok(r) => r.recv(),
                                Err(_) => return,
                            };
                            match job {
                                Ok(job) => job(),
                                Err(_) => return,
                            }
                        }
                    });
                if spawned.is_err() {
                    return None;
                }
            }
            Some(Mutex::new(tx))
        })
        .as_ref()
}

/// Run `f` on the hashing threads and wait for its result. `None` if the hashing threads
/// cannot be used (they could not be started, or the job panicked).
pub async fn run<T, F>(f: F) -> Option<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(f());
    });
    queue()?.lock().ok()?.send(job).ok()?;
    rx.await.ok()
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn runs_jobs_and_returns_results() {
        let mut handles = Vec::new();
        for i in 0..20u32 {
            handles.push(tokio::spawn(super::run(move || i * 2)));
        }
        for (i, h) in handles.into_iter().enumerate() {
            assert_eq!(h.await.ok().flatten(), Some(i as u32 * 2));
        }
    }
}
