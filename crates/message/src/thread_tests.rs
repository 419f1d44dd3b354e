//! Threading: the RFC's rules one by one, and the cases it warns of (missing parents,
//! loops in References, duplicate Message-IDs).

use super::*;
use crate::base_subject::{base_subject, compare_key};

/// A message: number, sent date, subject as written, own ID, references.
fn msg(n: u32, sent: i64, subject: &str, id: Option<&str>, refs: &[&str]) -> ThreadMessage {
    let b = base_subject(subject);
    ThreadMessage {
        number: n,
        sent,
        subject: compare_key(&b.text),
        is_reply: b.is_reply,
        message_id: id.map(str::to_owned),
        references: refs.iter().map(|r| (*r).to_owned()).collect(),
    }
}

/// The forest in a compact form: `(1 (2)(3))` with `()` for a dummy's place.
fn show(f: &Forest) -> String {
    fn node(f: &Forest, n: usize, out: &mut String) {
        let this = &f.nodes[n];
        if let Some(m) = this.message {
            out.push_str(&m.to_string());
        }
        match this.children.as_slice() {
            [] => {}
            [one] => {
                if this.message.is_some() {
                    out.push(' ');
                }
                node(f, *one, out);
            }
            many => {
                if this.message.is_some() {
                    out.push(' ');
                }
                for &k in many {
                    out.push('(');
                    node(f, k, out);
                    out.push(')');
                }
            }
        }
    }
    let mut out = String::new();
    for &r in &f.roots {
        out.push('(');
        node(f, r, &mut out);
        out.push(')');
    }
    out
}

#[test]
fn ordered_subject_groups_and_orders() {
    let msgs = [
        msg(1, 300, "Lunch", None, &[]),
        msg(2, 100, "Re: lunch", None, &[]),
        msg(3, 200, "Other", None, &[]),
        msg(4, 400, "[team] Lunch", None, &[]),
        msg(5, 50, "", None, &[]),
        msg(6, 250, "Other", None, &[]),
    ];
    // Threads by the date of their first message; the first is the parent of the rest.
    assert_eq!(show(&ordered_subject(&msgs)), "(5)(2 (1)(4))(3 6)");
    assert_eq!(show(&ordered_subject(&[])), "");
}

#[test]
fn ordered_subject_ties_by_number() {
    let msgs = [
        msg(7, 100, "a", None, &[]),
        msg(3, 100, "a", None, &[]),
        msg(5, 100, "b", None, &[]),
    ];
    assert_eq!(show(&ordered_subject(&msgs)), "(3 7)(5)");
}

#[test]
fn references_link_replies() {
    let msgs = [
        msg(1, 10, "Plan", Some("a@x"), &[]),
        msg(2, 20, "Re: Plan", Some("b@x"), &["a@x"]),
        msg(3, 30, "Re: Plan", Some("c@x"), &["a@x", "b@x"]),
        msg(4, 40, "Re: Plan", Some("d@x"), &["a@x"]),
        msg(5, 15, "Else", Some("e@x"), &[]),
    ];
    assert_eq!(show(&references(&msgs)), "(1 (2 3)(4))(5)");
}

#[test]
fn references_missing_parent_becomes_dummy() {
    // Two replies to a message not in the set: siblings under a dummy at the top.
    let msgs = [
        msg(1, 10, "Re: gone", Some("b@x"), &["a@x"]),
        msg(2, 20, "Re: gone", Some("c@x"), &["a@x"]),
        msg(3, 5, "other", Some("d@x"), &[]),
    ];
    assert_eq!(show(&references(&msgs)), "(3)((1)(2))");
    // One reply to a missing message: the dummy goes, the reply is at the top.
    let msgs = [msg(1, 10, "Re: gone", Some("b@x"), &["z@x", "a@x"])];
    assert_eq!(show(&references(&msgs)), "(1)");
    // A missing message in the middle of a chain: its reply moves up to the grandparent.
    let msgs = [
        msg(1, 10, "chain", Some("a@x"), &[]),
        msg(2, 30, "Re: chain", Some("c@x"), &["a@x", "b@x"]),
    ];
    assert_eq!(show(&references(&msgs)), "(1 2)");
}

#[test]
fn references_loops_are_not_made() {
    let msgs = [
        msg(1, 10, "x", Some("a@x"), &["b@x"]),
        msg(2, 20, "y", Some("b@x"), &["a@x"]),
    ];
    let f = references(&msgs);
    assert_eq!(show(&f), "(2 1)");
    // A message that names itself, and a References field that loops.
    let msgs = [
        msg(1, 10, "p", Some("a@x"), &["a@x"]),
        msg(2, 20, "q", Some("c@x"), &["a@x", "c@x", "a@x"]),
    ];
    assert_eq!(show(&references(&msgs)), "(1 2)");
}

#[test]
fn references_parent_link_broken_by_a_looping_reference() {
    // 2 names 1 then 3, so 3 is first placed under 1 and 2 under 3. 3 then names 2, its own
    // child: that link would close a loop and is not made, but 3's link to 1 breaks (§3
    // step 1B), so 3 heads its own thread, ordered before 1 by its earlier date.
    let msgs = [
        msg(1, 300, "", Some("a@b"), &[]),
        msg(2, 100, "", Some("b@b"), &["a@b", "c@b"]),
        msg(3, 200, "", Some("c@b"), &["b@b"]),
    ];
    assert_eq!(show(&references(&msgs)), "(3 2)(1)");
    // Without 1 (expunged): the dummy left for it has no children and goes.
    let msgs = [
        msg(1, 100, "", Some("b@b"), &["a@b", "c@b"]),
        msg(2, 200, "", Some("c@b"), &["b@b"]),
    ];
    assert_eq!(show(&references(&msgs)), "(2 1)");
}

#[test]
fn references_duplicate_message_ids() {
    let msgs = [
        msg(1, 10, "first", Some("a@x"), &[]),
        msg(2, 20, "second", Some("a@x"), &[]),
        msg(3, 30, "Re: first", Some("c@x"), &["a@x"]),
    ];
    // The first message keeps the ID; the duplicate stands alone.
    assert_eq!(show(&references(&msgs)), "(1 3)(2)");
}

#[test]
fn references_merge_by_subject() {
    // No references, same subject: the one without Re: is the parent.
    let msgs = [
        msg(1, 10, "Re: topic", Some("a@x"), &[]),
        msg(2, 20, "topic", Some("b@x"), &[]),
    ];
    assert_eq!(show(&references(&msgs)), "(2 1)");
    // Neither a reply: siblings under a dummy.
    let msgs = [
        msg(1, 10, "topic", Some("a@x"), &[]),
        msg(2, 20, "topic", Some("b@x"), &[]),
        msg(3, 15, "else", Some("c@x"), &[]),
    ];
    assert_eq!(show(&references(&msgs)), "((1)(2))(3)");
    // A dummy thread takes a lone message with its subject.
    let msgs = [
        msg(1, 10, "Re: t", Some("b@x"), &["a@x"]),
        msg(2, 20, "Re: t", Some("c@x"), &["a@x"]),
        msg(3, 30, "t", Some("d@x"), &[]),
    ];
    assert_eq!(show(&references(&msgs)), "((1)(2)(3))");
    // Empty subjects never merge.
    let msgs = [
        msg(1, 10, "", Some("a@x"), &[]),
        msg(2, 20, "", Some("b@x"), &[]),
    ];
    assert_eq!(show(&references(&msgs)), "(1)(2)");
}

#[test]
fn references_siblings_by_date_then_number() {
    let msgs = [
        msg(1, 10, "root", Some("a@x"), &[]),
        msg(4, 50, "Re: root", Some("b@x"), &["a@x"]),
        msg(3, 20, "Re: root", Some("c@x"), &["a@x"]),
        msg(2, 20, "Re: root", Some("d@x"), &["a@x"]),
    ];
    assert_eq!(show(&references(&msgs)), "(1 (2)(3)(4))");
}

#[test]
fn references_deep_chains_need_no_recursion() {
    let ids: Vec<String> = (0..20_000).map(|i| format!("m{i}@x")).collect();
    let msgs: Vec<ThreadMessage> = (0..20_000u32)
        .map(|i| {
            let refs: Vec<&str> = if i == 0 {
                vec![]
            } else {
                vec![ids[i as usize - 1].as_str()]
            };
            msg(i + 1, i64::from(i), "deep", Some(&ids[i as usize]), &refs)
        })
        .collect();
    let f = references(&msgs);
    assert_eq!(f.roots.len(), 1);
    let (mut n, mut depth) = (f.roots[0], 1);
    while let [k] = f.nodes[n].children.as_slice() {
        n = *k;
        depth += 1;
    }
    assert_eq!(depth, 20_000);
}
