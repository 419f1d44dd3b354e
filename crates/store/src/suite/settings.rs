//! Suite check for runtime settings: set, read, list and reset, each change announced as an
//! event.
#![allow(clippy::unwrap_used)]

use super::Subject;
use crate::events::Event;

pub(super) async fn settings_and_events(s: Subject) {
    let mut sub = s.subscribe();
    assert_eq!(s.get_setting("pop.banner").await.unwrap(), None);
    s.set_setting("pop.banner", "hello").await.unwrap();
    s.set_setting("pop.banner", "again").await.unwrap();
    assert_eq!(
        s.get_setting("pop.banner").await.unwrap().as_deref(),
        Some("again")
    );
    assert_eq!(
        s.list_settings().await.unwrap(),
        [("pop.banner".to_string(), "again".to_string())]
    );
    s.reset_setting("pop.banner").await.unwrap();
    assert_eq!(s.get_setting("pop.banner").await.unwrap(), None);
    let want = Event::Setting {
        key: "pop.banner".into(),
    };
    for _ in 0..3 {
        assert_eq!(sub.next().await, Some(want.clone()));
    }
}
