//! Reading the output tables the charts draw from (docs/OUTPUTS.md), with errors that name the
//! file, the line and the column.
//!
//! **Invariant:** this module only reads files a regsim command wrote; it knows nothing about
//! the simulation state, and nothing here draws.

use super::ChartError;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Region ids in the order of docs/OUTPUTS.md (the one list in [`crate::labels`]).
pub const REGIONS: [&str; 15] = crate::labels::REGION_IDS;

/// The English display name of a region id ("gyeongbuk" -> "Gyeongbuk"); unknown ids are kept
/// as they are. Other languages: [`crate::labels::region_name`].
pub fn region_label(id: &str) -> String {
    crate::labels::region_name(crate::labels::Lang::En, id)
}

/// A CSV table held as text, with typed accessors that report where a value is bad.
#[derive(Debug)]
pub struct Table {
    pub file: PathBuf,
    headers: Vec<String>,
    rows: Vec<csv::StringRecord>,
}

impl Table {
    /// Reads the whole file; the first row is the header.
    pub fn read(file: &Path) -> Result<Table, ChartError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_path(file)
            .map_err(|e| csv_error(file, e))?;
        let headers = reader
            .headers()
            .map_err(|e| csv_error(file, e))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            rows.push(record.map_err(|e| csv_error(file, e))?);
        }
        Ok(Table {
            file: file.to_path_buf(),
            headers,
            rows,
        })
    }

    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn has(&self, column: &str) -> bool {
        self.headers.iter().any(|h| h == column)
    }

    /// The index of a column, or a `MissingColumn` error naming the file.
    pub fn col(&self, column: &str) -> Result<usize, ChartError> {
        self.headers
            .iter()
            .position(|h| h == column)
            .ok_or_else(|| ChartError::MissingColumn {
                file: self.file.clone(),
                column: column.to_string(),
            })
    }

    /// The 1-based line of a data row in the file (the header is line 1).
    pub fn line(&self, row: usize) -> u64 {
        self.rows[row]
            .position()
            .map_or(row as u64 + 2, |p| p.line())
    }

    pub fn text(&self, row: usize, col: usize) -> &str {
        self.rows[row].get(col).unwrap_or("").trim()
    }

    /// A number; empty cells and `NaN` read as NaN (e.g. an sd over one replicate).
    pub fn num(&self, row: usize, col: usize) -> Result<f64, ChartError> {
        let text = self.text(row, col);
        if text.is_empty() {
            return Ok(f64::NAN);
        }
        text.parse::<f64>().map_err(|_| ChartError::BadNumber {
            file: self.file.clone(),
            line: self.line(row),
            column: self.headers[col].clone(),
            value: text.to_string(),
        })
    }

    /// A whole number such as a year or a replicate index.
    pub fn int(&self, row: usize, col: usize) -> Result<i64, ChartError> {
        let value = self.num(row, col)?;
        if value.is_finite() && value.fract() == 0.0 {
            Ok(value as i64)
        } else {
            Err(ChartError::BadNumber {
                file: self.file.clone(),
                line: self.line(row),
                column: self.headers[col].clone(),
                value: self.text(row, col).to_string(),
            })
        }
    }

    /// Fails with `Empty` when the table has a header but no rows.
    pub fn require_rows(&self) -> Result<(), ChartError> {
        if self.rows.is_empty() {
            Err(ChartError::Empty {
                file: self.file.clone(),
            })
        } else {
            Ok(())
        }
    }
}

fn csv_error(file: &Path, error: csv::Error) -> ChartError {
    let line = error.position().map_or(0, |p| p.line());
    let message = error.to_string();
    match error.into_kind() {
        csv::ErrorKind::Io(source) => ChartError::Io {
            file: file.to_path_buf(),
            source,
        },
        _ => ChartError::BadCsv {
            file: file.to_path_buf(),
            line,
            message,
        },
    }
}

/// Reads a JSON file, or `None` when it does not exist.
pub fn read_json(file: &Path) -> Result<Option<Value>, ChartError> {
    if !file.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(file).map_err(|source| ChartError::Io {
        file: file.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|source| ChartError::Json {
            file: file.to_path_buf(),
            source,
        })
}

/// One region's yearly metrics: metric name -> year -> value.
pub type Yearly = BTreeMap<String, BTreeMap<i32, f64>>;

/// The numeric metric columns of a table: every column after the given key columns.
pub fn metric_columns(table: &Table, skip: &[&str]) -> Vec<(String, usize)> {
    table
        .headers()
        .iter()
        .enumerate()
        .filter(|(_, h)| !skip.contains(&h.as_str()))
        .map(|(i, h)| (h.clone(), i))
        .collect()
}

/// `regions.csv` of a run: region -> metric -> year -> value.
pub fn read_regions(file: &Path) -> Result<BTreeMap<String, Yearly>, ChartError> {
    let table = Table::read(file)?;
    table.require_rows()?;
    let year = table.col("year")?;
    let region = table.col("region")?;
    let metrics = metric_columns(&table, &["year", "region"]);
    let mut out: BTreeMap<String, Yearly> = BTreeMap::new();
    for row in 0..table.len() {
        let y = table.int(row, year)? as i32;
        let r = table.text(row, region).to_string();
        let entry = out.entry(r).or_default();
        for (name, col) in &metrics {
            let v = table.num(row, *col)?;
            entry.entry(name.clone()).or_default().insert(y, v);
        }
    }
    Ok(out)
}

/// The small-sample warnings (`metrics::small_sample_warnings`) of an output folder: from a
/// comparison's `compare.csv` (the smaller of the baseline and policy means) or a run's
/// `regions.csv`, with the startup weight of the manifest's scenario (`startup_scale`; 1 when
/// absent). Empty for other folders.
pub fn small_sample_warnings(dir: &Path) -> Result<Vec<String>, ChartError> {
    let startup_scale = read_json(&dir.join("manifest.json"))?
        .and_then(|m| find_key(&m, "startup_scale"))
        .unwrap_or(1.0);
    let mut cells: Vec<(String, f64, f64)> = Vec::new();
    let compare = dir.join("compare.csv");
    let regions = dir.join("regions.csv");
    if compare.is_file() {
        let rows = read_compare(&compare)?;
        let mut by_key: BTreeMap<(i32, String), (f64, f64)> = BTreeMap::new();
        for r in rows.iter().filter(|r| r.region != "national") {
            let v = r.baseline_mean.min(r.policy_mean);
            let e = by_key
                .entry((r.year, r.region.clone()))
                .or_insert((0.0, 0.0));
            match r.metric.as_str() {
                "vc_deals" => e.0 = v,
                "startup_births" => e.1 = v,
                _ => {}
            }
        }
        cells.extend(by_key.into_iter().map(|((_, r), (d, b))| (r, d, b)));
    } else if regions.is_file() {
        for (region, metrics) in read_regions(&regions)? {
            let (Some(deals), Some(births)) =
                (metrics.get("vc_deals"), metrics.get("startup_births"))
            else {
                continue;
            };
            for (y, d) in deals {
                cells.push((region.clone(), *d, births.get(y).copied().unwrap_or(0.0)));
            }
        }
    }
    let cells: Vec<(&str, f64, f64)> = cells.iter().map(|(r, d, b)| (r.as_str(), *d, *b)).collect();
    Ok(crate::metrics::small_sample_warnings(
        &cells,
        1.0 / startup_scale,
    ))
}

/// The first number under `key` anywhere in a JSON value (depth first, in key order).
fn find_key(v: &Value, key: &str) -> Option<f64> {
    match v {
        Value::Object(m) => m
            .get(key)
            .and_then(Value::as_f64)
            .or_else(|| m.values().find_map(|x| find_key(x, key))),
        Value::Array(a) => a.iter().find_map(|x| find_key(x, key)),
        _ => None,
    }
}

/// `national.csv` of a run: metric -> year -> value.
pub fn read_national(file: &Path) -> Result<Yearly, ChartError> {
    let table = Table::read(file)?;
    table.require_rows()?;
    let year = table.col("year")?;
    let metrics = metric_columns(&table, &["year"]);
    let mut out: Yearly = BTreeMap::new();
    for row in 0..table.len() {
        let y = table.int(row, year)? as i32;
        for (name, col) in &metrics {
            let v = table.num(row, *col)?;
            out.entry(name.clone()).or_default().insert(y, v);
        }
    }
    Ok(out)
}

/// One run of a sweep: its parameter point and its regional metrics.
#[derive(Debug, Clone)]
pub struct SweepRun {
    pub run_id: i64,
    pub point: i64,
    pub replicate: i64,
    pub seed: i64,
    pub regions: BTreeMap<String, Yearly>,
}

/// `runs.csv` of a sweep.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// Runs in the order of their `run_id`.
    pub runs: Vec<SweepRun>,
    /// The varied keys (the columns between `seed` and `year`).
    pub varied_keys: Vec<String>,
    /// point -> the values of the varied keys, as written.
    pub point_values: BTreeMap<i64, Vec<String>>,
}

impl Sweep {
    pub fn points(&self) -> Vec<i64> {
        self.point_values.keys().copied().collect()
    }

    /// A legend label for a point: "point 1 (firms.exit_loss_months=6)".
    pub fn point_label(&self, point: i64, lang: crate::labels::Lang) -> String {
        let values = self.point_values.get(&point).cloned().unwrap_or_default();
        let parts: Vec<String> = self
            .varied_keys
            .iter()
            .zip(values)
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if parts.is_empty() {
            crate::labels::labelf(lang, "point_n", &[&point])
        } else {
            crate::labels::labelf(lang, "point_n_values", &[&point, &parts.join(", ")])
        }
    }
}

pub fn read_sweep(file: &Path) -> Result<Sweep, ChartError> {
    let table = Table::read(file)?;
    table.require_rows()?;
    let run_id = table.col("run_id")?;
    let point = table.col("point")?;
    let replicate = table.col("replicate")?;
    let seed = table.col("seed")?;
    let year = table.col("year")?;
    let region = table.col("region")?;
    let varied: Vec<(String, usize)> = ((seed + 1)..year)
        .map(|c| (table.headers()[c].clone(), c))
        .collect();
    let keys: Vec<&str> = ["run_id", "point", "replicate", "seed", "year", "region"]
        .into_iter()
        .chain(varied.iter().map(|(k, _)| k.as_str()))
        .collect();
    let metrics = metric_columns(&table, &keys);
    let mut runs: BTreeMap<i64, SweepRun> = BTreeMap::new();
    let mut point_values = BTreeMap::new();
    for row in 0..table.len() {
        let id = table.int(row, run_id)?;
        let p = table.int(row, point)?;
        let run = match runs.entry(id) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => e.insert(SweepRun {
                run_id: id,
                point: p,
                replicate: table.int(row, replicate)?,
                seed: table.int(row, seed)?,
                regions: BTreeMap::new(),
            }),
        };
        point_values.entry(p).or_insert_with(|| {
            varied
                .iter()
                .map(|(_, c)| table.text(row, *c).to_string())
                .collect()
        });
        let y = table.int(row, year)? as i32;
        let entry = run
            .regions
            .entry(table.text(row, region).to_string())
            .or_default();
        for (name, col) in &metrics {
            let v = table.num(row, *col)?;
            entry.entry(name.clone()).or_default().insert(y, v);
        }
    }
    Ok(Sweep {
        runs: runs.into_values().collect(),
        varied_keys: varied.into_iter().map(|(k, _)| k).collect(),
        point_values,
    })
}

/// Derives the national metrics of one run from its regions, the way `national.csv` does:
/// sums, capital shares (0..1) and non-capital SME sales.
pub fn national_from_regions(regions: &BTreeMap<String, Yearly>) -> Yearly {
    let mut out: Yearly = BTreeMap::new();
    for metrics in regions.values() {
        for (name, by_year) in metrics {
            if name == "wage_krw_month" {
                continue;
            }
            let sum = out.entry(name.clone()).or_default();
            for (y, v) in by_year {
                *sum.entry(*y).or_insert(0.0) += v;
            }
        }
    }
    if let Some(capital) = regions.get("capital") {
        for (share, metric) in SHARE_METRICS {
            if let (Some(cap), Some(nat)) = (capital.get(metric), out.get(metric)) {
                let series = cap
                    .iter()
                    .filter_map(|(y, c)| nat.get(y).map(|n| (*y, ratio(*c, *n))))
                    .collect();
                out.insert(share.to_string(), series);
            }
        }
        if let (Some(cap), Some(nat)) = (capital.get("sales_krw"), out.get("sales_krw")) {
            let series = nat
                .iter()
                .map(|(y, n)| (*y, n - cap.get(y).copied().unwrap_or(0.0)))
                .collect();
            out.insert("noncapital_sme_sales_krw".to_string(), series);
        }
    }
    out
}

fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 { f64::NAN } else { a / b }
}

/// Capital-share columns of `national.csv` and the regional metric each is a share of.
pub const SHARE_METRICS: [(&str, &str); 6] = [
    ("capital_share_firms", "firms"),
    ("capital_share_employment", "employment"),
    ("capital_share_sales", "sales_krw"),
    ("capital_share_vc_investment", "vc_investment_krw"),
    ("capital_share_population", "population"),
    ("capital_share_population_15_39", "population_15_39"),
];

/// One row of `compare.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareRow {
    pub metric: String,
    pub region: String,
    pub year: i32,
    pub n: f64,
    pub baseline_mean: f64,
    pub policy_mean: f64,
    pub diff_mean: f64,
    pub diff_ci95_low: f64,
    pub diff_ci95_high: f64,
}

pub fn read_compare(file: &Path) -> Result<Vec<CompareRow>, ChartError> {
    let table = Table::read(file)?;
    table.require_rows()?;
    let cols = [
        "metric",
        "region",
        "year",
        "n",
        "baseline_mean",
        "policy_mean",
        "diff_mean",
        "diff_ci95_low",
        "diff_ci95_high",
    ]
    .map(|c| table.col(c));
    let [metric, region, year, n, base, policy, diff, low, high] = cols;
    let (metric, region, year, n) = (metric?, region?, year?, n?);
    let (base, policy, diff, low, high) = (base?, policy?, diff?, low?, high?);
    let mut rows = Vec::with_capacity(table.len());
    for row in 0..table.len() {
        rows.push(CompareRow {
            metric: table.text(row, metric).to_string(),
            region: table.text(row, region).to_string(),
            year: table.int(row, year)? as i32,
            n: table.num(row, n)?,
            baseline_mean: table.num(row, base)?,
            policy_mean: table.num(row, policy)?,
            diff_mean: table.num(row, diff)?,
            diff_ci95_low: table.num(row, low)?,
            diff_ci95_high: table.num(row, high)?,
        });
    }
    Ok(rows)
}

/// One row of `compare.json`'s `per_bn_krw` list; rows missing a key are skipped by the reader.
#[derive(Debug, Clone, PartialEq)]
pub struct PerBn {
    pub region: String,
    pub program: String,
    pub jobs: [f64; 3],
    pub value_added_krw: [f64; 3],
}

/// The `per_bn_krw` rows of compare.json (mean, ci95_low, ci95_high per measure).
pub fn per_bn_rows(compare: &Value) -> Vec<PerBn> {
    let Some(list) = compare.get("per_bn_krw").and_then(Value::as_array) else {
        return Vec::new();
    };
    let triple = |row: &Value, stem: &str| -> Option<[f64; 3]> {
        Some([
            row.get(format!("{stem}_mean"))?.as_f64()?,
            row.get(format!("{stem}_ci95_low"))?.as_f64()?,
            row.get(format!("{stem}_ci95_high"))?.as_f64()?,
        ])
    };
    list.iter()
        .filter_map(|row| {
            Some(PerBn {
                region: row.get("region")?.as_str()?.to_string(),
                program: row
                    .get("program")
                    .and_then(Value::as_str)
                    .unwrap_or("all")
                    .to_string(),
                jobs: triple(row, "jobs")?,
                value_added_krw: triple(row, "value_added_krw")?,
            })
        })
        .collect()
}

/// Firm-size CCDF points (employees, P(size >= employees)) from `size_ccdf.csv`.
pub fn read_ccdf(file: &Path) -> Result<Vec<(f64, f64)>, ChartError> {
    read_pairs(file, "employees", "ccdf")
}

/// Growth-rate histogram (bin centre, density) from `growth_hist.csv`.
pub fn read_growth_hist(file: &Path) -> Result<Vec<(f64, f64)>, ChartError> {
    read_pairs(file, "bin_center", "density")
}

fn read_pairs(file: &Path, x: &str, y: &str) -> Result<Vec<(f64, f64)>, ChartError> {
    let table = Table::read(file)?;
    table.require_rows()?;
    let (cx, cy) = (table.col(x)?, table.col(y)?);
    (0..table.len())
        .map(|row| Ok((table.num(row, cx)?, table.num(row, cy)?)))
        .collect()
}

/// The Pareto tail fit from `size_tail_fit.csv` (its first row).
#[derive(Debug, Clone, PartialEq)]
pub struct TailFit {
    pub estimator: String,
    pub alpha: f64,
    pub xmin: f64,
    pub n_tail: f64,
}

pub fn read_tail_fit(file: &Path) -> Result<TailFit, ChartError> {
    let table = Table::read(file)?;
    table.require_rows()?;
    let (e, a, x, n) = (
        table.col("estimator")?,
        table.col("alpha")?,
        table.col("xmin")?,
        table.col("n_tail")?,
    );
    Ok(TailFit {
        estimator: table.text(0, e).to_string(),
        alpha: table.num(0, a)?,
        xmin: table.num(0, x)?,
        n_tail: table.num(0, n)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_sums_regions_and_derives_shares() {
        let mut regions = BTreeMap::new();
        for (name, firms, sales) in [("capital", 6.0, 60.0), ("busan", 4.0, 40.0)] {
            let mut m: Yearly = BTreeMap::new();
            m.insert("firms".into(), BTreeMap::from([(2025, firms)]));
            m.insert("sales_krw".into(), BTreeMap::from([(2025, sales)]));
            regions.insert(name.to_string(), m);
        }
        let nat = national_from_regions(&regions);
        assert_eq!(nat["firms"][&2025], 10.0);
        assert!((nat["capital_share_firms"][&2025] - 0.6).abs() < 1e-12);
        assert_eq!(nat["noncapital_sme_sales_krw"][&2025], 40.0);
    }

    #[test]
    fn region_labels_are_capitalised() {
        assert_eq!(region_label("gyeongbuk"), "Gyeongbuk");
        assert_eq!(region_label("capital"), "Capital region");
    }
}

/// Programme spending from `programs.csv`: bn KRW per (programme, year), summed over regions,
/// programmes in file order.
#[derive(Debug, Clone, Default)]
pub struct Spending {
    pub programs: Vec<(String, BTreeMap<i32, f64>)>,
}

/// Reads `programs.csv` (columns `year`, `program`, `spend_krw`; other columns ignored).
pub fn read_programs(file: &Path) -> Result<Spending, ChartError> {
    let table = Table::read(file)?;
    table.require_rows()?;
    let (year, program, spend) = (
        table.col("year")?,
        table.col("program")?,
        table.col("spend_krw")?,
    );
    let mut out = Spending::default();
    for row in 0..table.len() {
        let name = table.text(row, program);
        let y = table.int(row, year)? as i32;
        let v = table.num(row, spend)? / 1e9;
        let idx = match out.programs.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                out.programs.push((name.to_string(), BTreeMap::new()));
                out.programs.len() - 1
            }
        };
        *out.programs[idx].1.entry(y).or_insert(0.0) += v;
    }
    Ok(out)
}
