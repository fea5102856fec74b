//! Charts of a regsim output folder, drawn with plotters into `charts/<name>.png` and `.svg`.
//!
//! Bird's-eye view: [`render_dir`] looks at which output tables a folder holds (docs/OUTPUTS.md),
//! [`plan`] turns them into a list of [`Chart`]s (pure data: titles, series in display units,
//! source line), and each chart is drawn once by a function generic over the plotters backend,
//! which runs for the PNG and for the SVG backend.
//!
//! **Invariant:** charts read only output tables (CSV/JSON files), never simulation state; only
//! this module knows plotters. **Invariant:** text is drawn with the embedded fonts
//! ([`fonts`]: DejaVu Sans for English, NanumSquare for Korean); system fonts are never
//! consulted. Every text a chart shows comes from [`crate::labels`] in the chart's [`Lang`].

pub mod attribution;
pub mod bars;
pub mod data;
pub mod flows;
pub mod fonts;
pub mod study;
pub mod style;
pub mod target;
pub mod tilemap;
pub mod timeseries;
pub mod validation;

use crate::labels::Lang;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// What can go wrong when reading an output folder or drawing its charts.
#[derive(Debug, Error)]
pub enum ChartError {
    #[error(
        "{}: holds no regsim output (expected regions.csv, runs.csv, compare.csv or target.json)",
        dir.display()
    )]
    NoOutput { dir: PathBuf },
    #[error("{}: {source}", file.display())]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: line {line}: malformed CSV: {message}", file.display())]
    BadCsv {
        file: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{}: missing column `{column}`", file.display())]
    MissingColumn { file: PathBuf, column: String },
    #[error("{}: line {line}: column `{column}`: cannot parse {value:?} as a number", file.display())]
    BadNumber {
        file: PathBuf,
        line: u64,
        column: String,
        value: String,
    },
    #[error("{}: has a header but no data rows", file.display())]
    Empty { file: PathBuf },
    #[error("{}: invalid JSON: {source}", file.display())]
    Json {
        file: PathBuf,
        source: serde_json::Error,
    },
    #[error("{}: drawing failed: {message}", file.display())]
    Draw { file: PathBuf, message: String },
}

/// The result of a drawing function; plotters' errors are generic over the backend, so they
/// are boxed here and turned into [`ChartError::Draw`] with the file name by the caller.
pub type DrawResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Pixel size of single charts.
pub const SINGLE: (u32, u32) = (1200, 800);
/// Pixel size of small multiples (a 5x3 grid of regions).
pub const MULTIPLES: (u32, u32) = (1800, 1200);

/// One chart, ready to draw: everything it shows is already computed.
#[derive(Debug, Clone)]
pub struct Chart {
    /// File stem under `charts/`.
    pub name: String,
    pub title: String,
    pub size: (u32, u32),
    /// Scenario(s), seed(s)/replicates and scale, shown at the bottom.
    pub source: String,
    /// The language of every text on the chart (titles are already in it; the drawing code
    /// formats numbers and axis names in it).
    pub lang: Lang,
    pub body: Body,
}

/// The kinds of chart; each module draws its own.
#[derive(Debug, Clone)]
pub enum Body {
    Time(timeseries::TimeChart),
    Multiples(timeseries::Multiples),
    Tiles(tilemap::TileMap),
    Flows(flows::FlowMatrix),
    Bars(bars::PerBnBars),
    Ccdf(validation::Ccdf),
    GrowthHist(validation::GrowthHist),
    Target(target::Curve),
    Screening(study::Screening),
    IndexBars(study::IndexBars),
    Loss(study::LossCurve),
    Moments(study::MomentFit),
}

/// Which output files a folder holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holds {
    pub run: bool,
    pub sweep: bool,
    pub compare: bool,
    pub size_ccdf: bool,
    pub growth_hist: bool,
    pub target: bool,
    /// sensitivity.csv or calibration.csv (`regsim sensitivity`, `regsim calibrate`).
    pub study: bool,
}

impl Holds {
    pub fn of(dir: &Path) -> Holds {
        Holds {
            run: dir.join("regions.csv").is_file(),
            sweep: dir.join("runs.csv").is_file(),
            compare: dir.join("compare.csv").is_file(),
            size_ccdf: dir.join("size_ccdf.csv").is_file(),
            growth_hist: dir.join("growth_hist.csv").is_file(),
            target: dir.join("target.json").is_file(),
            study: dir.join("sensitivity.csv").is_file() || dir.join("calibration.csv").is_file(),
        }
    }

    fn any(&self) -> bool {
        self.run
            || self.sweep
            || self.compare
            || self.size_ccdf
            || self.growth_hist
            || self.target
            || self.study
    }
}

/// The charts that apply to a folder, in a fixed order, computed from its tables.
pub fn plan(dir: &Path, lang: Lang) -> Result<Vec<Chart>, ChartError> {
    let holds = Holds::of(dir);
    if !holds.any() {
        return Err(ChartError::NoOutput {
            dir: dir.to_path_buf(),
        });
    }
    let manifest = data::read_json(&dir.join("manifest.json"))?;
    let mut charts = Vec::new();
    if holds.run {
        let source = style::source_line("run", manifest.as_ref(), None, lang);
        let regions = data::read_regions(&dir.join("regions.csv"))?;
        let national_file = dir.join("national.csv");
        let national = if national_file.is_file() {
            data::read_national(&national_file)?
        } else {
            data::national_from_regions(&regions)
        };
        charts.extend(timeseries::run_charts(&regions, &national, &source, lang));
        charts.extend(tilemap::run_charts(&regions, &source, lang));
        charts.extend(flows::run_chart(dir, &source, lang)?);
        let programs = dir.join("programs.csv");
        if programs.is_file() {
            let spending = data::read_programs(&programs)?;
            charts.extend(timeseries::spending_chart(&spending, &source, lang));
        }
    }
    if holds.sweep {
        let source = style::source_line("sweep", manifest.as_ref(), None, lang);
        let sweep = data::read_sweep(&dir.join("runs.csv"))?;
        charts.extend(timeseries::sweep_charts(&sweep, &source, lang));
        charts.extend(tilemap::sweep_charts(&sweep, &source, lang));
    }
    if holds.compare {
        let compare_json = data::read_json(&dir.join("compare.json"))?;
        let source = style::source_line("compare", manifest.as_ref(), compare_json.as_ref(), lang);
        let rows = data::read_compare(&dir.join("compare.csv"))?;
        charts.extend(timeseries::compare_charts(&rows, &source, lang));
        charts.extend(tilemap::compare_charts(
            &rows,
            compare_json.as_ref(),
            &source,
            lang,
        ));
        if dir.join("compare_network.csv").is_file() {
            charts.extend(tilemap::shock_spread_chart(&rows, &source, lang));
        }
        if let Some(json) = &compare_json {
            charts.extend(bars::compare_charts(json, &source, lang));
            charts.extend(attribution::compare_charts(json, &source, lang));
        }
    }
    if holds.size_ccdf || holds.growth_hist {
        let source = style::source_line("validation", manifest.as_ref(), None, lang);
        charts.extend(validation::charts(dir, &source, lang)?);
    }
    if holds.target {
        let source = style::source_line("target", manifest.as_ref(), None, lang);
        charts.extend(target::charts(dir, &source, lang)?);
    }
    if holds.study {
        let source = style::source_line("study", manifest.as_ref(), None, lang);
        charts.extend(study::charts(dir, &source, lang)?);
    }
    Ok(charts)
}

/// Draws every chart that applies to `dir` into `dir/charts/<name>.png` and `.svg`.
///
/// Returns the written paths in plan order (for each chart: PNG, then SVG). Files are written
/// under a temporary name in `charts/` and renamed, so a reader never sees half a file.
pub fn render_dir(dir: &Path, lang: Lang) -> Result<Vec<PathBuf>, ChartError> {
    let charts = plan(dir, lang)?;
    let out = dir.join("charts");
    std::fs::create_dir_all(&out).map_err(|source| ChartError::Io {
        file: out.clone(),
        source,
    })?;
    let mut written = Vec::with_capacity(charts.len() * 2);
    for chart in &charts {
        written.push(render_png(chart, &out)?);
        written.push(render_svg(chart, &out)?);
    }
    Ok(written)
}

/// Draws one chart as PNG into `out/<name>.png`.
pub fn render_png(chart: &Chart, out: &Path) -> Result<PathBuf, ChartError> {
    fonts::ensure_registered();
    let target = out.join(format!("{}.png", chart.name));
    // The bitmap encoder picks the format from the extension, so the temp name ends in .png.
    let tmp = out.join(format!(
        "{}{}.{}.png",
        crate::output::TEMP_PREFIX,
        chart.name,
        std::process::id()
    ));
    let drawn = {
        let root = BitMapBackend::new(&tmp, chart.size).into_drawing_area();
        draw(chart, &root).and_then(|()| root.present().map_err(Into::into))
    };
    finish(drawn, &tmp, &target)
}

/// Draws one chart as SVG into `out/<name>.svg`.
pub fn render_svg(chart: &Chart, out: &Path) -> Result<PathBuf, ChartError> {
    fonts::ensure_registered();
    let target = out.join(format!("{}.svg", chart.name));
    let tmp = out.join(format!(
        "{}{}.{}.svg",
        crate::output::TEMP_PREFIX,
        chart.name,
        std::process::id()
    ));
    let mut text = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut text, chart.size).into_drawing_area();
        draw(chart, &root).and_then(|()| root.present().map_err(Into::into))
    };
    let drawn = drawn.and_then(|()| std::fs::write(&tmp, text.as_bytes()).map_err(Into::into));
    finish(drawn, &tmp, &target)
}

fn finish(drawn: DrawResult, tmp: &Path, target: &Path) -> Result<PathBuf, ChartError> {
    if let Err(e) = drawn {
        let _ = std::fs::remove_file(tmp);
        return Err(ChartError::Draw {
            file: target.to_path_buf(),
            message: e.to_string(),
        });
    }
    std::fs::rename(tmp, target).map_err(|source| {
        let _ = std::fs::remove_file(tmp);
        ChartError::Io {
            file: target.to_path_buf(),
            source,
        }
    })?;
    Ok(target.to_path_buf())
}

/// Height of the title band and of the source band, in pixels.
const TITLE_H: u32 = 64;
const SOURCE_H: u32 = 52;

/// Draws the frame (title, source line) and the chart's body, on any backend, with the font
/// and number formats of the chart's language.
pub fn draw<DB: DrawingBackend>(chart: &Chart, root: &DrawingArea<DB, Shift>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    fonts::with_lang(chart.lang, || draw_in_lang(chart, root))
}

fn draw_in_lang<DB: DrawingBackend>(chart: &Chart, root: &DrawingArea<DB, Shift>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (w, h) = root.dim_in_pixel();
    let (top, rest) = root.split_vertically(TITLE_H);
    let (body, bottom) = rest.split_vertically(h.saturating_sub(TITLE_H + SOURCE_H));
    let title_font = style::bold(30.0);
    let title = style::shorten(&chart.title, &title_font, w as i32 - 40);
    top.draw(&Text::new(
        title,
        (w as i32 / 2, TITLE_H as i32 / 2 + 4),
        title_font.pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    let source_font = style::font(15.0).color(&style::MUTED);
    for (i, line) in style::wrap(&chart.source, &source_font, w as i32 - 40)
        .into_iter()
        .take(2)
        .enumerate()
    {
        bottom.draw(&Text::new(
            line,
            (20, 8 + 20 * i as i32),
            source_font.clone(),
        ))?;
    }
    match &chart.body {
        Body::Time(c) => timeseries::draw_time(c, &body),
        Body::Multiples(c) => timeseries::draw_multiples(c, &body),
        Body::Tiles(c) => tilemap::draw(c, &body),
        Body::Flows(c) => flows::draw(c, &body),
        Body::Bars(c) => bars::draw(c, &body),
        Body::Ccdf(c) => validation::draw_ccdf(c, &body),
        Body::GrowthHist(c) => validation::draw_hist(c, &body),
        Body::Target(c) => target::draw(c, &body),
        Body::Screening(c) => study::draw_screening(c, &body),
        Body::IndexBars(c) => study::draw_bars(c, &body),
        Body::Loss(c) => study::draw_loss(c, &body),
        Body::Moments(c) => study::draw_moments(c, &body),
    }
}
