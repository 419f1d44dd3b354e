//! The classifier end to end on an embedded store: trained on generated spam and ham with
//! distinct vocabularies, it must classify held-out messages; relearning moves counts.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use heron_settings::Settings;
use heron_store::{BayesLearned, SqliteStore, Store};

use super::{learn, probability};

/// Words of the generated spam.
const SPAM: &[&str] = &[
    "viagra",
    "casino",
    "lottery",
    "winner",
    "prize",
    "bitcoin",
    "investment",
    "guaranteed",
    "discount",
    "pharmacy",
    "pills",
    "credit",
    "loan",
    "urgent",
    "inheritance",
    "beneficiary",
    "unclaimed",
    "jackpot",
    "bonus",
    "exclusive",
    "limited",
    "offer",
    "cheap",
    "replica",
    "watches",
    "weight",
    "miracle",
    "refinance",
    "mortgage",
    "clearance",
];
/// Words of the generated ham.
const HAM: &[&str] = &[
    "meeting",
    "agenda",
    "project",
    "report",
    "quarterly",
    "review",
    "schedule",
    "lunch",
    "thanks",
    "attached",
    "draft",
    "comments",
    "team",
    "deadline",
    "budget",
    "minutes",
    "conference",
    "proposal",
    "feedback",
    "invoice",
    "customer",
    "release",
    "testing",
    "deployment",
    "kitchen",
    "weekend",
    "family",
    "birthday",
    "holiday",
    "garden",
];
/// Words both use.
const COMMON: &[&str] = &[
    "the",
    "and",
    "you",
    "your",
    "this",
    "that",
    "with",
    "for",
    "please",
    "today",
    "time",
    "have",
    "will",
    "about",
    "more",
    "information",
    "here",
    "just",
    "know",
    "new",
];

/// A small seeded generator (xorshift), so the corpus is the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn sentence(&mut self, own: &[&str], words: usize) -> String {
        (0..words)
            .map(|_| {
                if self.below(2) == 0 {
                    own[self.below(own.len())]
                } else {
                    COMMON[self.below(COMMON.len())]
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Message `i` of a class, plain text or (every third) HTML.
fn message(rng: &mut Rng, spam: bool, i: usize) -> Vec<u8> {
    let own = if spam { SPAM } else { HAM };
    let subject = rng.sentence(own, 4);
    let body = rng.sentence(own, 40);
    let from = if spam { "promo" } else { "colleague" };
    let (ctype, body) = if i.is_multiple_of(3) {
        (
            "text/html",
            format!("<html><body><p>{body}</p></body></html>"),
        )
    } else {
        ("text/plain", body)
    };
    format!(
        "From: {from}{i}@example.com\r\nTo: user@heron.test\r\nSubject: {subject}\r\n\
         Message-ID: <{i}.{spam}@example.com>\r\nContent-Type: {ctype}\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn trained_on_200_and_200_it_classifies_held_out_mail() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let settings = Settings::load(store.clone()).await.unwrap();
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    assert_eq!(
        probability(&store, &settings, &message(&mut rng, true, 0))
            .await
            .unwrap(),
        None,
        "no answer before anything was learned"
    );
    for i in 0..200 {
        for spam in [true, false] {
            let m = message(&mut rng, spam, i);
            let key = format!("{spam}-{i}");
            let learned = learn(&store, &settings, &key, &m, spam).await.unwrap();
            assert_eq!(learned, BayesLearned::New);
        }
    }
    let totals = store.bayes_totals().await.unwrap();
    assert_eq!((totals.spam, totals.ham), (200, 200));
    assert!(totals.tokens > 0);
    let mut right = 0;
    for i in 1000..1100 {
        let spam = i % 2 == 0;
        let p = probability(&store, &settings, &message(&mut rng, spam, i))
            .await
            .unwrap()
            .unwrap();
        if (spam && p >= 0.9) || (!spam && p <= 0.1) {
            right += 1;
        }
    }
    assert!(right >= 95, "{right} of 100 right");

    // Learning a message again changes nothing; learning it as ham moves its counts.
    let m = message(&mut rng, true, 5000);
    learn(&store, &settings, "x", &m, true).await.unwrap();
    let before = store.bayes_totals().await.unwrap();
    assert_eq!(
        learn(&store, &settings, "x", &m, true).await.unwrap(),
        BayesLearned::Known
    );
    assert_eq!(store.bayes_totals().await.unwrap(), before);
    assert_eq!(
        learn(&store, &settings, "x", &m, false).await.unwrap(),
        BayesLearned::Moved
    );
    let after = store.bayes_totals().await.unwrap();
    assert_eq!((after.spam, after.ham), (before.spam - 1, before.ham + 1));
}

#[tokio::test]
async fn the_token_table_is_pruned_to_the_memory_cap() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let settings = Settings::load(store.clone()).await.unwrap();
    settings.set("bayes.retrain_messages", "1").await.unwrap();
    settings.set("bayes.max_memory_mb", "1").await.unwrap();
    let cap = 1024 * 1024 / super::TOKEN_BYTES;
    let mut body = String::from("Subject: big\r\n\r\n");
    for i in 0..1_900 {
        body.push_str(&format!("w{i} "));
    }
    for n in 0..12 {
        let m = body.replace("w", &format!("m{n}x"));
        learn(&store, &settings, &n.to_string(), m.as_bytes(), n % 2 == 0)
            .await
            .unwrap();
    }
    let t = store.bayes_totals().await.unwrap();
    assert!(t.tokens <= cap, "{} tokens", t.tokens);
    assert!(t.tokens > cap / 2);
}
