//! Numbers as a person reads them on the pages: sizes in bytes, KB, MB or GB, and counts
//! with the right form of their noun ("1 alias", "2 aliases").

/// `0` → `0 bytes`, `2048` → `2 KB`, `5_452_595` → `5.2 MB`: one decimal under ten units,
/// whole units above.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return count(bytes, "byte", "bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 && value.fract() >= 0.05 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// `n` and its noun, singular for one.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(size(0), "0 bytes");
        assert_eq!(size(1), "1 byte");
        assert_eq!(size(1023), "1023 bytes");
        assert_eq!(size(2048), "2 KB");
        assert_eq!(size(1536), "1.5 KB");
        assert_eq!(size(5_452_595), "5.2 MB");
        assert_eq!(size(300 * 1024 * 1024), "300 MB");
        assert_eq!(size(3 * 1024 * 1024 * 1024), "3 GB");
    }

    #[test]
    fn plurals() {
        assert_eq!(count(1, "alias", "aliases"), "1 alias");
        assert_eq!(count(0, "alias", "aliases"), "0 aliases");
        assert_eq!(count(2, "user", "users"), "2 users");
    }
}
