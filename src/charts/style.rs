//! The look shared by every chart: colour-blind-friendly palette, fonts, number formats that
//! keep tick labels short ("1,234", "12.3k"), the source line and a legend drawn outside the
//! plot area so it never hides data.

use super::DrawResult;
use super::fonts::{current_family, current_lang};
use crate::labels::{Lang, label, labelf};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde_json::Value;

/// Okabe-Ito palette (distinguishable with the common colour-vision deficiencies).
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 0, 0),       // black
];

/// Grey for secondary text and reference lines.
pub const MUTED: RGBColor = RGBColor(90, 90, 90);
/// Light grey for grid lines.
pub const GRID: RGBColor = RGBColor(225, 225, 225);

pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The chart font at a pixel size.
pub fn font(size: f64) -> TextStyle<'static> {
    TextStyle::from((current_family(), size).into_font()).color(&BLACK)
}

/// The bold chart font at a pixel size.
pub fn bold(size: f64) -> TextStyle<'static> {
    TextStyle::from((current_family(), size, FontStyle::Bold).into_font()).color(&BLACK)
}

fn text_width(text: &str, font: &TextStyle) -> i32 {
    font.font
        .box_size(text)
        .map(|(w, _)| w as i32)
        .unwrap_or(text.len() as i32 * 10)
}

/// Cuts a text to fit `max_w` pixels, ending it with an ellipsis.
pub fn shorten(text: &str, font: &TextStyle, max_w: i32) -> String {
    if text_width(text, font) <= max_w {
        return text.to_string();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate: String = chars.iter().collect::<String>() + "…";
        if text_width(&candidate, font) <= max_w {
            return candidate;
        }
    }
    String::new()
}

/// Breaks a text into lines of at most `max_w` pixels, at spaces.
pub fn wrap(text: &str, font: &TextStyle, max_w: i32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if text_width(&candidate, font) > max_w && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            line = word.to_string();
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// How the values of an axis are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// People, firms, deals: abbreviated ("12.3k", "4.5M").
    Count,
    /// A plain number with thousands separators (money already in trn or bn KRW).
    Plain,
    /// Percent ("45.2%").
    Percent,
    /// Percentage points ("+0.3 pp").
    PercentPoints,
}

/// Decimals needed to tell ticks `step` apart.
fn decimals_for(step: f64) -> usize {
    if !(step.is_finite() && step > 0.0) {
        return 0;
    }
    (-step.log10().floor()).clamp(0.0, 3.0) as usize
}

/// "1234567.8" -> "1,234,568" (with `decimals` after the point).
pub fn thousands(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    let text = format!("{:.*}", decimals, v.abs());
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (text.clone(), None),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if v < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// Divisor and suffix for abbreviating counts of this size, in the language being drawn:
/// English groups by thousands (k, M, bn), Korean by ten thousands (만 10^4, 억 10^8).
fn count_scale(magnitude: f64) -> (f64, &'static str) {
    if current_lang() == Lang::Ko {
        return if magnitude >= 1e8 {
            (1e8, "억")
        } else if magnitude >= 1e4 {
            (1e4, "만")
        } else {
            (1.0, "")
        };
    }
    if magnitude >= 1e9 {
        (1e9, "bn")
    } else if magnitude >= 1e6 {
        (1e6, "M")
    } else if magnitude >= 1e4 {
        (1e3, "k")
    } else {
        (1.0, "")
    }
}

/// A short label with about three significant digits: 12345 -> "12.3k", 987 -> "987".
pub fn abbrev(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    let (div, suffix) = count_scale(v.abs());
    let x = v / div;
    let decimals = if x.abs() >= 100.0 || div == 1.0 && x.fract() == 0.0 {
        0
    } else if x.abs() >= 10.0 {
        1
    } else {
        2
    };
    format!("{}{suffix}", thousands(x, decimals))
}

/// A value with its unit, for labels and tables.
pub fn format_value(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Count => abbrev(v),
        Unit::Plain => {
            let d = if v.abs() >= 100.0 {
                0
            } else if v.abs() >= 10.0 {
                1
            } else {
                2
            };
            thousands(v, d)
        }
        Unit::Percent => format!("{}%", thousands(v, 1)),
        Unit::PercentPoints => format!(
            "{}{} {}",
            if v > 0.0 { "+" } else { "" },
            thousands(v, 2),
            label(current_lang(), "unit.pp")
        ),
    }
}

/// A tick formatter for an axis spanning `lo..hi` with about `ticks` labels: every label has
/// the same number of decimals, enough to tell neighbours apart.
pub fn tick_formatter(unit: Unit, lo: f64, hi: f64, ticks: usize) -> impl Fn(&f64) -> String {
    let span = (hi - lo).abs();
    let step = span / ticks.max(1) as f64;
    let (div, suffix) = match unit {
        Unit::Count => count_scale(lo.abs().max(hi.abs())),
        _ => (1.0, ""),
    };
    let decimals = decimals_for(step / div);
    move |v: &f64| {
        let v = if v.abs() < step * 1e-6 { 0.0 } else { *v };
        match unit {
            // Zero needs no unit suffix ("0", not "0k").
            Unit::Count if v == 0.0 => "0".to_string(),
            Unit::Count => format!("{}{suffix}", thousands(v / div, decimals)),
            Unit::Plain => thousands(v, decimals),
            Unit::Percent => format!("{}%", thousands(v, decimals)),
            // The axis title says "percentage points"; ticks stay short.
            Unit::PercentPoints => thousands(v, decimals),
        }
    }
}

/// The range `lo..hi` of some values, padded by 6% on each side; never empty.
pub fn padded_range(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let span = hi - lo;
    let pad = if span > 0.0 {
        span * 0.06
    } else {
        (hi.abs() * 0.05).max(1e-9)
    };
    (lo - pad, hi + pad)
}

// ---------------------------------------------------------------------------------------------
// Source line

fn scenario_name(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => ["scenario_name", "name"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_str).map(str::to_string))
            .or_else(|| o.get("scenario").and_then(scenario_name))
            .or_else(|| {
                o.get("scenario_file")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            }),
        _ => None,
    }
}

fn seeds_text(v: &Value, lang: Lang) -> Option<String> {
    if let Some(seed) = v.get("seed").and_then(Value::as_u64) {
        return Some(labelf(lang, "src.seed", &[&seed]));
    }
    let seeds: Vec<u64> = v
        .get("seeds")?
        .as_array()?
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    match seeds.as_slice() {
        [] => None,
        [one] => Some(labelf(lang, "src.seed", &[one])),
        [first, .., last] if seeds.windows(2).all(|w| w[1] == w[0] + 1) => {
            Some(labelf(lang, "src.seeds", &[&format!("{first}–{last}")]))
        }
        many if many.len() <= 5 => Some(labelf(
            lang,
            "src.seeds",
            &[&many
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")],
        )),
        many => Some(labelf(lang, "src.n_seeds", &[&many.len(), &many[0]])),
    }
}

/// The line at the bottom of every chart: what produced the numbers (scenario(s), seed(s),
/// replicates, scale, years), read from manifest.json and, for compare, compare.json.
pub fn source_line(
    kind: &str,
    manifest: Option<&Value>,
    compare: Option<&Value>,
    lang: Lang,
) -> String {
    let mut parts = Vec::new();
    let Some(m) = manifest.or(compare) else {
        return labelf(lang, "src.no_manifest", &[&kind]);
    };
    let mut head = labelf(lang, "src.head", &[&kind]);
    if let Some(version) = m.get("regsim_version").and_then(Value::as_str) {
        head.push_str(&format!(" {version}"));
    }
    if let Some(commit) = m.get("git_commit").and_then(Value::as_str) {
        head.push_str(&format!(
            " ({})",
            commit.chars().take(8).collect::<String>()
        ));
    }
    parts.push(head);
    let pair = |v: &Value| -> Option<String> {
        let b = v.get("baseline").and_then(scenario_name)?;
        let p = v.get("policy").and_then(scenario_name)?;
        Some(labelf(lang, "src.pair", &[&b, &p]))
    };
    if let Some(name) = m.get("scenario_name").and_then(Value::as_str) {
        parts.push(labelf(lang, "src.scenario", &[&name]));
    } else if let Some(text) = pair(m).or_else(|| compare.and_then(pair)) {
        parts.push(text);
    } else if let Some(name) = m.get("scenario").and_then(scenario_name) {
        parts.push(labelf(lang, "src.scenario", &[&name]));
    }
    let seed = seeds_text(m, lang)
        .or_else(|| m.get("baseline").and_then(|b| seeds_text(b, lang)))
        .or_else(|| compare.and_then(|c| seeds_text(c, lang)));
    if let Some(seed) = seed {
        parts.push(seed);
    }
    let replicates = m
        .get("replicates")
        .or_else(|| compare.and_then(|c| c.get("replicates")))
        .and_then(Value::as_u64);
    if let Some(n) = replicates {
        parts.push(labelf(lang, "src.replicates", &[&n]));
    }
    if let Some(scale) = m.get("scale").and_then(Value::as_f64) {
        parts.push(labelf(
            lang,
            "src.scale",
            &[&scale, &thousands(1.0 / scale, 0)],
        ));
    }
    if let (Some(a), Some(b)) = (
        m.get("start_year").and_then(Value::as_i64),
        m.get("end_year").and_then(Value::as_i64),
    ) {
        parts.push(format!("{a}–{b}"));
    }
    parts.join(" · ")
}

// ---------------------------------------------------------------------------------------------
// Legend

/// What a legend entry shows next to its label.
#[derive(Debug, Clone, Copy)]
pub enum Swatch {
    Line(RGBColor),
    Dashed(RGBColor),
    Band(RGBColor, f64),
    Marker(RGBColor),
    Bar(RGBColor),
}

#[derive(Debug, Clone)]
pub struct LegendEntry {
    pub label: String,
    pub swatch: Swatch,
}

impl LegendEntry {
    pub fn new(label: impl Into<String>, swatch: Swatch) -> Self {
        LegendEntry {
            label: label.into(),
            swatch,
        }
    }
}

fn draw_swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    swatch: Swatch,
    (x, y): (i32, i32),
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    match swatch {
        Swatch::Line(c) => {
            area.draw(&PathElement::new(
                vec![(x, y), (x + 28, y)],
                c.stroke_width(3),
            ))?;
        }
        Swatch::Dashed(c) => {
            for k in 0..3 {
                let x0 = x + k * 11;
                area.draw(&PathElement::new(
                    vec![(x0, y), (x0 + 6, y)],
                    c.stroke_width(3),
                ))?;
            }
        }
        Swatch::Band(c, alpha) => {
            area.draw(&Rectangle::new(
                [(x, y - 7), (x + 28, y + 7)],
                c.mix(alpha).filled(),
            ))?;
        }
        Swatch::Marker(c) => {
            area.draw(&Circle::new((x + 14, y), 5, c.filled()))?;
        }
        Swatch::Bar(c) => {
            area.draw(&Rectangle::new(
                [(x + 4, y - 8), (x + 24, y + 8)],
                c.filled(),
            ))?;
        }
    }
    Ok(())
}

/// A legend as a column of entries (labels wrapped to the area's width), top-left aligned.
pub fn draw_legend_column<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (w, _) = area.dim_in_pixel();
    let font = font(16.0);
    let mut y = 12;
    for entry in entries {
        let lines = wrap(&entry.label, &font, w as i32 - 50);
        draw_swatch(area, entry.swatch, (4, y + 9))?;
        for line in &lines {
            area.draw(&Text::new(line.clone(), (40, y), font.clone()))?;
            y += 20;
        }
        y += 10;
    }
    Ok(())
}

/// A legend as rows of entries across the area's width, centred.
pub fn draw_legend_row<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (w, h) = area.dim_in_pixel();
    let font = font(16.0);
    let widths: Vec<i32> = entries
        .iter()
        .map(|e| 40 + text_width(&e.label, &font) + 28)
        .collect();
    let mut rows: Vec<Vec<usize>> = vec![Vec::new()];
    let mut used = 0;
    for (i, width) in widths.iter().enumerate() {
        if used + width > w as i32 - 20 && !rows.last().is_some_and(Vec::is_empty) {
            rows.push(Vec::new());
            used = 0;
        }
        if let Some(row) = rows.last_mut() {
            row.push(i);
        }
        used += width;
    }
    let row_h = 24;
    let mut y = (h as i32 - row_h * rows.len() as i32) / 2 + row_h / 2;
    for row in rows {
        let total: i32 = row.iter().map(|&i| widths[i]).sum();
        let mut x = (w as i32 - total) / 2;
        for i in row {
            draw_swatch(area, entries[i].swatch, (x, y))?;
            area.draw(&Text::new(
                entries[i].label.clone(),
                (x + 36, y),
                font.pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            x += widths[i];
        }
        y += row_h;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(1234567.0, 0), "1,234,567");
        assert_eq!(thousands(-1432.25, 1), "-1,432.2");
        assert_eq!(thousands(-0.0001, 1), "0.0");
        assert_eq!(thousands(999.0, 0), "999");
    }

    #[test]
    fn abbrev_keeps_three_digits() {
        assert_eq!(abbrev(12_345.0), "12.3k");
        assert_eq!(abbrev(987.0), "987");
        assert_eq!(abbrev(18_260_000.0), "18.3M");
        assert_eq!(abbrev(-4_200.0), "-4,200");
    }

    #[test]
    fn tick_labels_tell_neighbours_apart() {
        let f = tick_formatter(Unit::Count, 18.0e6, 18.5e6, 8);
        assert_ne!(f(&18.1e6), f(&18.15e6));
        assert_eq!(f(&18.1e6), "18.10M");
        let p = tick_formatter(Unit::Percent, 40.0, 60.0, 8);
        assert_eq!(p(&45.0), "45%");
        // A difference axis through zero: "0", not "0k".
        let d = tick_formatter(Unit::Count, -5e3, 100e3, 6);
        assert_eq!(d(&0.0), "0");
        assert_eq!(d(&20e3), "20k");
    }

    #[test]
    fn source_line_names_scenario_seed_and_scale() {
        let m = serde_json::json!({"scenario_name": "baseline", "seed": 42, "scale": 0.01,
            "start_year": 2025, "end_year": 2030});
        let s = source_line("run", Some(&m), None, Lang::En);
        assert!(s.contains("scenario \"baseline\""), "{s}");
        assert!(s.contains("seed 42") && s.contains("scale 0.01") && s.contains("2025–2030"));
        let c = serde_json::json!({"baseline": {"scenario_name": "b"}, "policy": "p", "seeds": [1,2,3], "replicates": 3});
        let s = source_line("compare", Some(&c), None, Lang::En);
        assert!(
            s.contains("baseline \"b\" vs policy \"p\"") && s.contains("seeds 1–3"),
            "{s}"
        );
    }
}
