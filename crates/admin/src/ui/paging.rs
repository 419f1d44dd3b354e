//! Lists in pages, with a search string: which slice of a list a page shows and the links to
//! its neighbours. Pure.
//!
//! Invariants: the page number is clamped into `1..=pages` (an empty list has one, empty,
//! page); links keep the search string, percent-encoded.

use serde::Deserialize;

/// `?q=...&page=N` of a list page.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub q: Option<String>,
    pub page: Option<String>,
}

impl ListQuery {
    /// The search string, trimmed, lower-cased; `None` when empty.
    pub fn needle(&self) -> Option<String> {
        self.q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_lowercase)
    }

    /// The requested page; anything unreadable is the first.
    pub fn page(&self) -> usize {
        self.page
            .as_deref()
            .and_then(|p| p.parse().ok())
            .unwrap_or(1)
    }
}

/// Where a page sits in its list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paging {
    pub page: usize,
    pub pages: usize,
    pub total: usize,
    /// Links to the previous and next page, when there are such pages.
    pub prev: Option<String>,
    pub next: Option<String>,
    /// The search string as typed (for the search box).
    pub q: String,
}

/// Rows per page from the setting's value (0 or absurd values fall back into range).
pub fn per_page(setting: u64) -> usize {
    usize::try_from(setting.clamp(1, 1000)).unwrap_or(50)
}

/// The slice of `items` page `page` shows, and its paging links under `base`.
pub fn paginate<T>(
    items: Vec<T>,
    page: usize,
    per: usize,
    base: &str,
    q: &str,
) -> (Vec<T>, Paging) {
    let paging = place(items.len(), page, per, base, q);
    let per = per.max(1);
    let slice: Vec<T> = items
        .into_iter()
        .skip((paging.page - 1) * per)
        .take(per)
        .collect();
    (slice, paging)
}

/// Where page `page` of a list of `total` rows sits, for lists read a page at a time.
pub fn place(total: usize, page: usize, per: usize, base: &str, q: &str) -> Paging {
    let per = per.max(1);
    let pages = total.div_ceil(per).max(1);
    let page = page.clamp(1, pages);
    // `base` may carry query parameters of its own (the log viewer's filters).
    let sep = if base.contains('?') { '&' } else { '?' };
    let link = |p: usize| {
        let mut s = format!("{base}{sep}page={p}");
        if !q.is_empty() {
            s.push_str("&q=");
            s.push_str(&encode(q));
        }
        s
    };
    Paging {
        page,
        pages,
        total,
        prev: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
        q: q.to_owned(),
    }
}

/// Percent-encode a query value (everything but unreserved characters).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_and_links() {
        let items: Vec<u32> = (1..=25).collect();
        let (s, p) = paginate(items.clone(), 2, 10, "/domains", "a b&c");
        assert_eq!(s, (11..=20).collect::<Vec<_>>());
        assert_eq!(p.pages, 3);
        assert_eq!(p.total, 25);
        assert_eq!(p.prev.as_deref(), Some("/domains?page=1&q=a%20b%26c"));
        assert_eq!(p.next.as_deref(), Some("/domains?page=3&q=a%20b%26c"));
        let (s, p) = paginate(items.clone(), 3, 10, "/d", "");
        assert_eq!(s, vec![21, 22, 23, 24, 25]);
        assert_eq!(
            place(25, 2, 10, "/logs?type=smtp", "").next.as_deref(),
            Some("/logs?type=smtp&page=3")
        );
        assert_eq!(p.next, None);
        assert_eq!(p.prev.as_deref(), Some("/d?page=2"));
    }

    #[test]
    fn page_numbers_are_clamped() {
        let items: Vec<u32> = (1..=5).collect();
        let (s, p) = paginate(items.clone(), 99, 2, "/x", "");
        assert_eq!((p.page, s), (3, vec![5]));
        let (s, p) = paginate(items, 0, 2, "/x", "");
        assert_eq!((p.page, s), (1, vec![1, 2]));
        let (s, p) = paginate(Vec::<u32>::new(), 1, 10, "/x", "");
        assert!(s.is_empty());
        assert_eq!((p.page, p.pages, p.prev, p.next), (1, 1, None, None));
    }

    #[test]
    fn query_reading() {
        let q = ListQuery {
            q: Some("  Foo ".into()),
            page: Some("x".into()),
        };
        assert_eq!(q.needle().as_deref(), Some("foo"));
        assert_eq!(q.page(), 1);
        assert_eq!(ListQuery::default().needle(), None);
        assert_eq!(per_page(0), 1);
        assert_eq!(per_page(5000), 1000);
    }
}
