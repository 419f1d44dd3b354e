//! Threading of messages (RFC 5256 §2.1 and §3): ORDEREDSUBJECT, which groups by base
//! subject, and REFERENCES, which links messages by Message-ID, References and
//! In-Reply-To, then merges threads with the same base subject.
//!
//! Input is plain data per message ([`ThreadMessage`]); the result is a [`Forest`], every
//! node in one arena and children by index, so a thread thousands of replies deep costs
//! no recursion to build, encode or drop. Sibling order is by sent date, ties by the
//! message's number (sequence numbers and UIDs ascend together), RFC 5256 §2.2.
//!
//! Invariants: pure and total; the links never form a cycle (a link that would is not
//! made: loops in References, a message referring to itself); a Message-ID seen twice
//! counts only for the first message that has it, the others get a unique one (§3 step 1);
//! every walk is iterative; work is linear in the messages and their references (bounded
//! per message by `msgid::MAX_REFERENCES`) times the depth of a loop check.

use std::collections::HashMap;

/// What threading needs of one message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThreadMessage {
    /// The number the answer shows: the message number, or the UID for UID THREAD.
    pub number: u32,
    /// The sent date (RFC 5256 §2.2), Unix seconds.
    pub sent: i64,
    /// The base subject in its comparison form (`base_subject::compare_key`).
    pub subject: String,
    /// Whether the subject had a reply or forward marker.
    pub is_reply: bool,
    /// The message's own ID, if it has a valid one.
    pub message_id: Option<String>,
    /// Its references, oldest first (`msgid::thread_ids`).
    pub references: Vec<String>,
}

/// One node: a message, or a placeholder ("dummy") for a message not in the set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Node {
    /// The message's number; `None` for a dummy.
    pub message: Option<u32>,
    /// The children, indexes into [`Forest::nodes`], in order.
    pub children: Vec<usize>,
}

/// Threads: the top-level nodes in order and the arena they index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Forest {
    pub nodes: Vec<Node>,
    pub roots: Vec<usize>,
}

/// ORDEREDSUBJECT (RFC 5256 §2.1 "ORDEREDSUBJECT"): messages sorted by base subject, then
/// sent date; each run with one subject is a thread whose first message is the parent of
/// all the others; threads ordered by the sent date of their first message.
pub fn ordered_subject(msgs: &[ThreadMessage]) -> Forest {
    let mut order: Vec<usize> = (0..msgs.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&msgs[a], &msgs[b]);
        x.subject
            .cmp(&y.subject)
            .then(date_key(x).cmp(&date_key(y)))
    });
    let mut f = Forest::default();
    let mut first: Vec<(usize, (i64, u32))> = Vec::new();
    let mut current: Option<(usize, &str)> = None;
    for i in order {
        let m = &msgs[i];
        let node = f.push(Some(m.number));
        match current {
            Some((top, subject)) if subject == m.subject => f.nodes[top].children.push(node),
            _ => {
                current = Some((node, &m.subject));
                first.push((node, date_key(m)));
            }
        }
    }
    first.sort_by_key(|&(_, k)| k);
    f.roots = first.into_iter().map(|(n, _)| n).collect();
    f
}

/// REFERENCES (RFC 5256 §3).
pub fn references(msgs: &[ThreadMessage]) -> Forest {
    let mut t = Threader::default();
    for (i, m) in msgs.iter().enumerate() {
        t.link(i, m);
    }
    // (2) The root set: every container without a parent.
    let roots: Vec<usize> = (0..t.c.len())
        .filter(|&c| t.c[c].parent.is_none())
        .collect();
    // (3) Dummies go; their children move up.
    let mut roots = t.prune(roots);
    // (4) Top-level siblings by sent date, a dummy by its first child's.
    for &r in &roots {
        if t.c[r].msg.is_none() {
            t.sort_children(r, msgs);
        }
    }
    t.sort_list(&mut roots, msgs);
    // (5) Threads with the same base subject merge.
    let roots = t.merge_subjects(roots, msgs);
    // (6) Every set of siblings by sent date, the deepest first.
    t.forest(roots, msgs)
}

impl Forest {
    fn push(&mut self, message: Option<u32>) -> usize {
        self.nodes.push(Node {
            message,
            children: Vec::new(),
        });
        self.nodes.len() - 1
    }
}

/// A sort key for sent date with ties broken by number.
fn date_key(m: &ThreadMessage) -> (i64, u32) {
    (m.sent, m.number)
}

/// A container of the REFERENCES algorithm: a message (index into the input) or a dummy.
#[derive(Default)]
struct Container {
    msg: Option<usize>,
    parent: Option<usize>,
    children: Vec<usize>,
}

#[derive(Default)]
struct Threader<'m> {
    c: Vec<Container>,
    by_id: HashMap<&'m str, usize>,
}

impl<'m> Threader<'m> {
    fn new_container(&mut self, msg: Option<usize>) -> usize {
        self.c.push(Container {
            msg,
            ..Default::default()
        });
        self.c.len() - 1
    }

    /// The container of an ID, made (as a dummy) when first seen.
    fn of_id(&mut self, id: &'m str) -> usize {
        if let Some(&c) = self.by_id.get(id) {
            return c;
        }
        let c = self.new_container(None);
        self.by_id.insert(id, c);
        c
    }

    /// (1) One message: its container, the links between its references, its parent.
    fn link(&mut self, i: usize, m: &'m ThreadMessage) {
        let own = match m.message_id.as_deref() {
            Some(id) => match self.by_id.get(id) {
                Some(&c) if self.c[c].msg.is_none() => {
                    self.c[c].msg = Some(i);
                    c
                }
                // A duplicate Message-ID: this message gets a unique one.
                Some(_) => self.new_container(Some(i)),
                None => {
                    let c = self.new_container(Some(i));
                    self.by_id.insert(id, c);
                    c
                }
            },
            None => self.new_container(Some(i)),
        };
        // (1A) Each reference is the parent of the next, unless already linked or a loop.
        let mut prev: Option<usize> = None;
        for id in &m.references {
            let c = self.of_id(id);
            if let Some(p) = prev
                && self.c[c].parent.is_none()
                && !self.is_ancestor_or_self(c, p)
            {
                self.set_parent(c, Some(p));
            }
            prev = Some(c);
        }
        // (1B) The last reference is the message's parent. A parent the message already has
        // (set from an earlier message's References, perhaps truncated) is broken first, even
        // when the new link is not made because it would close a loop: the message is then
        // a root. Without references it has no parent.
        let parent = prev.filter(|&p| !self.is_ancestor_or_self(own, p));
        self.set_parent(own, parent);
    }

    /// Whether `a` is `b` or one of `b`'s ancestors. A container without children is
    /// nobody's ancestor: no walk then (the common case, a message seen before its replies).
    fn is_ancestor_or_self(&self, a: usize, b: usize) -> bool {
        if a == b {
            return true;
        }
        if self.c[a].children.is_empty() {
            return false;
        }
        let mut at = Some(b);
        while let Some(x) = at {
            if x == a {
                return true;
            }
            at = self.c[x].parent;
        }
        false
    }

    fn set_parent(&mut self, child: usize, parent: Option<usize>) {
        if let Some(old) = self.c[child].parent.take() {
            self.c[old].children.retain(|&k| k != child);
        }
        if let Some(p) = parent {
            self.c[p].children.push(child);
            self.c[child].parent = Some(p);
        }
    }

    /// (3) Dummies without children go; a dummy's children take its place, except that at
    /// the top level a dummy with more than one child stays. Children first, iteratively.
    fn prune(&mut self, roots: Vec<usize>) -> Vec<usize> {
        for c in self.post_order(&roots) {
            let kids = std::mem::take(&mut self.c[c].children);
            let mut kept = Vec::with_capacity(kids.len());
            for k in kids {
                if self.c[k].msg.is_some() {
                    kept.push(k);
                } else {
                    // Already pruned: a dummy below the top has only messages left.
                    kept.append(&mut self.c[k].children);
                }
            }
            for &k in &kept {
                self.c[k].parent = Some(c);
            }
            self.c[c].children = kept;
        }
        let mut out = Vec::with_capacity(roots.len());
        for r in roots {
            if self.c[r].msg.is_some() || self.c[r].children.len() > 1 {
                out.push(r);
            } else if let Some(k) = self.c[r].children.pop() {
                self.c[k].parent = None;
                out.push(k);
            }
        }
        out
    }

    /// Every container under `roots`, each after its descendants.
    fn post_order(&self, roots: &[usize]) -> Vec<usize> {
        let mut pre = Vec::new();
        let mut stack: Vec<usize> = roots.to_vec();
        while let Some(c) = stack.pop() {
            pre.push(c);
            stack.extend(self.c[c].children.iter().copied());
        }
        pre.reverse();
        pre
    }

    /// The sort key of a container: its message's, or a dummy's first child's.
    fn key(&self, mut c: usize, msgs: &[ThreadMessage]) -> (i64, u32) {
        loop {
            match (self.c[c].msg, self.c[c].children.first()) {
                (Some(i), _) => return date_key(&msgs[i]),
                (None, Some(&k)) => c = k,
                (None, None) => return (i64::MAX, u32::MAX),
            }
        }
    }

    fn sort_list(&self, list: &mut [usize], msgs: &[ThreadMessage]) {
        list.sort_by_cached_key(|&c| self.key(c, msgs));
    }

    fn sort_children(&mut self, c: usize, msgs: &[ThreadMessage]) {
        let mut kids = std::mem::take(&mut self.c[c].children);
        self.sort_list(&mut kids, msgs);
        self.c[c].children = kids;
    }

    /// The message a container's subject is read from: its own, or a dummy's first child's.
    fn subject_of<'a>(&self, mut c: usize, msgs: &'a [ThreadMessage]) -> Option<&'a ThreadMessage> {
        loop {
            match (self.c[c].msg, self.c[c].children.first()) {
                (Some(i), _) => return msgs.get(i),
                (None, Some(&k)) => c = k,
                (None, None) => return None,
            }
        }
    }

    /// (5) Top-level threads with the same (non-empty) base subject merge.
    fn merge_subjects(&mut self, mut roots: Vec<usize>, msgs: &[ThreadMessage]) -> Vec<usize> {
        let dummy = |t: &Self, c: usize| t.c[c].msg.is_none();
        let reply = |t: &Self, c: usize| t.subject_of(c, msgs).is_some_and(|m| m.is_reply);
        // A message (not a dummy) whose subject had Re: and the like.
        let replied = |t: &Self, c: usize| !dummy(t, c) && reply(t, c);
        // (5A, 5B) One container per subject: a dummy rather than a message, a message
        // without Re: rather than one with it.
        let mut table: HashMap<&str, usize> = HashMap::new();
        for &r in &roots {
            let Some(m) = self.subject_of(r, msgs).filter(|m| !m.subject.is_empty()) else {
                continue;
            };
            match table.get(m.subject.as_str()) {
                Some(&old)
                    if !((dummy(self, r) && !dummy(self, old))
                        || (replied(self, old) && !dummy(self, r) && !replied(self, r))) => {}
                _ => {
                    table.insert(&m.subject, r);
                }
            }
        }
        // (5C) Merge every other top-level container into the one in the table.
        let mut gone = vec![false; self.c.len()];
        let mut k = 0;
        while k < roots.len() {
            let r = roots[k];
            k += 1;
            if gone[r] {
                continue;
            }
            let Some(m) = self.subject_of(r, msgs).filter(|m| !m.subject.is_empty()) else {
                continue;
            };
            let subject = m.subject.as_str();
            let Some(&t) = table.get(subject) else {
                continue;
            };
            if t == r {
                continue;
            }
            match (dummy(self, t), dummy(self, r)) {
                (true, true) => {
                    let mut kids = std::mem::take(&mut self.c[r].children);
                    for &c in &kids {
                        self.c[c].parent = Some(t);
                    }
                    self.c[t].children.append(&mut kids);
                    gone[r] = true;
                }
                (true, false) => {
                    self.set_parent(r, Some(t));
                    gone[r] = true;
                }
                (false, true) => {
                    self.set_parent(t, Some(r));
                    gone[t] = true;
                    table.insert(subject, r);
                }
                (false, false) if !reply(self, t) && reply(self, r) => {
                    self.set_parent(r, Some(t));
                    gone[r] = true;
                }
                (false, false) if reply(self, t) && !reply(self, r) => {
                    self.set_parent(t, Some(r));
                    gone[t] = true;
                    table.insert(subject, r);
                }
                (false, false) => {
                    let d = self.new_container(None);
                    gone.push(false);
                    if let Some(at) = roots.iter().position(|&x| x == t) {
                        roots[at] = d;
                    }
                    self.set_parent(t, Some(d));
                    self.set_parent(r, Some(d));
                    gone[r] = true;
                    table.insert(subject, d);
                }
            }
        }
        roots.retain(|&r| !gone[r]);
        roots
    }

    /// (6) Sort every set of siblings, the deepest first, and give the result.
    fn forest(mut self, mut roots: Vec<usize>, msgs: &[ThreadMessage]) -> Forest {
        for c in self.post_order(&roots) {
            self.sort_children(c, msgs);
        }
        self.sort_list(&mut roots, msgs);
        let nodes = self
            .c
            .into_iter()
            .map(|c| Node {
                message: c.msg.and_then(|i| msgs.get(i)).map(|m| m.number),
                children: c.children,
            })
            .collect();
        Forest { nodes, roots }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "thread_tests.rs"]
mod tests;
