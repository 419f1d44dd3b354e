//! Tests of the change log ([`super`]).

use super::*;

fn meta(uid: u32, modseq: u64, flag: &str) -> MessageMeta {
    MessageMeta {
        folder_id: 1,
        uid,
        modseq,
        flags: vec![flag.to_owned()],
        internal_date: 0,
        size: 10,
        blob: format!("b{uid}"),
    }
}

fn step(before: u64, changes: Vec<Change>) -> Step {
    Step {
        folder: 1,
        before,
        after: before + 1,
        changes,
        counts: CountDelta::default(),
    }
}

#[test]
fn answers_within_its_span_only() {
    let log = ChangeLog::default();
    log.record(vec![step(5, vec![Change::Meta(Arc::new(meta(1, 6, "a")))])]);
    log.record(vec![step(6, vec![Change::Meta(Arc::new(meta(2, 7, "b")))])]);
    log.record(vec![step(7, vec![Change::Meta(Arc::new(meta(1, 8, "c")))])]);
    let ch = log.since(1, 5, 8).unwrap();
    assert_eq!(ch.changed.iter().map(|m| m.uid).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(ch.changed[0].flags, ["c"], "the latest state of a message");
    let ch = log.since(1, 7, 8).unwrap();
    assert_eq!(ch.changed.len(), 1);
    let ch = log.since(1, 5, 6).unwrap();
    assert_eq!(
        ch.changed[0].flags,
        ["a"],
        "nothing past the highest modseq read"
    );
    assert!(log.since(1, 4, 8).is_none(), "before the span");
    assert!(
        log.since(1, 5, 9).is_none(),
        "a change the log has not seen"
    );
    assert!(log.since(2, 5, 8).is_none(), "another folder");
}

#[test]
fn expunged_messages_are_vanished_not_changed() {
    let log = ChangeLog::default();
    log.record(vec![step(1, vec![Change::Meta(Arc::new(meta(3, 2, "a")))])]);
    log.record(vec![step(2, vec![Change::Gone(3), Change::Gone(1)])]);
    let ch = log.since(1, 1, 3).unwrap();
    assert!(ch.changed.is_empty());
    assert_eq!(ch.vanished, [1, 3]);
}

#[test]
fn a_hole_restarts_the_log() {
    let log = ChangeLog::default();
    log.record(vec![step(1, vec![Change::Meta(Arc::new(meta(1, 2, "a")))])]);
    // Modseq 3 was committed by someone else.
    log.record(vec![step(3, vec![Change::Meta(Arc::new(meta(2, 4, "b")))])]);
    assert!(log.since(1, 1, 4).is_none(), "the hole is not papered over");
    assert_eq!(log.since(1, 3, 4).unwrap().changed.len(), 1);
}

#[test]
fn counts_follow_the_steps() {
    let log = ChangeLog::default();
    let seen = CountDelta::of("\\Seen", 10, 1);
    let new = CountDelta::of("", 20, 1);
    let deleted = CountDelta::reflagged("\\Seen", "\\Seen \\Deleted", 10);
    for (before, d) in [(1, seen), (2, new), (3, deleted)] {
        log.record(vec![Step {
            folder: 1,
            before,
            after: before + 1,
            changes: vec![Change::Gone(99)],
            counts: d,
        }]);
    }
    let d = log.counts_delta(1, 1, 4).unwrap();
    let want = CountDelta {
        messages: 2,
        unseen: 1,
        deleted: 1,
        bytes: 30,
        deleted_bytes: 10,
    };
    assert_eq!(d, want);
    assert_eq!(log.counts_delta(1, 3, 4).unwrap(), deleted);
    assert_eq!(log.counts_delta(1, 4, 4).unwrap(), CountDelta::default());
    assert!(log.counts_delta(1, 0, 4).is_none());
    let c = want.apply(FolderCounts::default()).unwrap();
    assert_eq!(
        (c.messages, c.unseen, c.deleted, c.bytes, c.deleted_bytes),
        (2, 1, 1, 30, 10)
    );
    assert!(
        CountDelta::of("", 1, -1)
            .apply(FolderCounts::default())
            .is_none()
    );
}

#[test]
fn stays_bounded() {
    let log = ChangeLog::default();
    for i in 0..(MAX_ENTRIES as u64 + 10) {
        log.record(vec![step(
            i,
            vec![Change::Meta(Arc::new(meta(1, i + 1, "a")))],
        )]);
    }
    let logs = log.inner.lock().unwrap();
    let l = &logs.folders[&1];
    assert!(l.entries.len() <= MAX_ENTRIES);
    assert_eq!(l.from, l.entries.front().unwrap().0 - 1);
    drop(logs);
    assert!(
        log.since(1, 0, 5).is_none(),
        "dropped changes are not claimed"
    );
    for f in 0..(MAX_FOLDERS as i64 + 5) {
        log.record(vec![Step {
            folder: 100 + f,
            before: 1,
            after: 2,
            changes: Vec::new(),
            counts: CountDelta::default(),
        }]);
    }
    assert!(log.inner.lock().unwrap().folders.len() <= MAX_FOLDERS);
}
