//! Bar charts drawn on the server as SVG (the statistics pages): the geometry of one bar per
//! bucket, scaled so the highest bar fills the drawing. No script draws anything.
//!
//! Invariants: a non-zero value always gets a bar of at least [`MIN_BAR`] pixels (so a lone
//! message next to thousands still shows), a zero value a bar of height 0; bars never leave
//! the drawing.

/// Width and height of a chart's drawing, in pixels (the SVG scales down on small screens).
pub const WIDTH: f64 = 720.0;
pub const HEIGHT: f64 = 160.0;
/// Smallest height of a non-zero bar.
pub const MIN_BAR: f64 = 2.0;

/// One bar.
pub struct Bar {
    pub x: String,
    pub y: String,
    pub width: String,
    pub height: String,
    /// The bucket it stands for, as shown.
    pub label: String,
    pub value: u64,
    /// The value as shown (bytes as sizes).
    pub shown: String,
}

/// One chart.
pub struct Chart {
    /// Identifies the chart on the page (`data-chart`).
    pub id: &'static str,
    pub title: &'static str,
    pub width: u32,
    pub height: u32,
    pub bars: Vec<Bar>,
    pub total: String,
    pub max: String,
    /// The first and last bucket labels, under the bars.
    pub first: String,
    pub last: String,
}

fn px(v: f64) -> String {
    format!("{v:.1}")
}

/// A chart of `points` (label, value), each value shown by `show`.
pub fn bars(
    id: &'static str,
    title: &'static str,
    points: &[(String, u64)],
    show: fn(u64) -> String,
) -> Chart {
    let max = points.iter().map(|p| p.1).max().unwrap_or(0);
    let total = points.iter().fold(0u64, |a, p| a.saturating_add(p.1));
    let slot = WIDTH / points.len().max(1) as f64;
    let gap = if slot > 4.0 {
        (slot * 0.15).max(1.0)
    } else {
        0.0
    };
    let bars = points
        .iter()
        .enumerate()
        .map(|(i, (label, value))| {
            let h = match (*value, max) {
                (0, _) | (_, 0) => 0.0,
                (v, m) => (v as f64 / m as f64 * HEIGHT).clamp(MIN_BAR, HEIGHT),
            };
            Bar {
                x: px(i as f64 * slot + gap / 2.0),
                y: px(HEIGHT - h),
                width: px((slot - gap).max(0.5)),
                height: px(h),
                label: label.clone(),
                value: *value,
                shown: show(*value),
            }
        })
        .collect();
    Chart {
        id,
        title,
        width: WIDTH as u32,
        height: HEIGHT as u32,
        bars,
        total: show(total),
        max: show(max),
        first: points.first().map(|p| p.0.clone()).unwrap_or_default(),
        last: points.last().map(|p| p.0.clone()).unwrap_or_default(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn n(v: u64) -> String {
        v.to_string()
    }

    #[test]
    fn bars_scale_to_the_highest() {
        let pts: Vec<(String, u64)> = [0u64, 1, 1000, 500]
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("b{i}"), *v))
            .collect();
        let c = bars("m", "Messages", &pts, n);
        let h: Vec<f64> = c.bars.iter().map(|b| b.height.parse().unwrap()).collect();
        assert_eq!(h, vec![0.0, MIN_BAR, HEIGHT, HEIGHT / 2.0]);
        let y: f64 = c.bars[2].y.parse().unwrap();
        assert_eq!(y, 0.0);
        assert_eq!(c.total, "1501");
        assert_eq!(c.max, "1000");
        assert_eq!((c.first.as_str(), c.last.as_str()), ("b0", "b3"));
        let last_x: f64 =
            c.bars[3].x.parse::<f64>().unwrap() + c.bars[3].width.parse::<f64>().unwrap();
        assert!(last_x <= WIDTH);
    }

    #[test]
    fn empty_and_zero_charts() {
        let c = bars("m", "Messages", &[], n);
        assert!(c.bars.is_empty());
        assert_eq!(c.total, "0");
        let c = bars("m", "Messages", &[("a".into(), 0)], n);
        assert_eq!(c.bars[0].height, "0.0");
    }
}
