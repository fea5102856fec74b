//! Sweeps: every (parameter point, replicate) of one scenario, staged as `runs/run-<id>.csv`
//! and assembled into `runs.csv` (one row per run, year and region) and `summary.csv` (per
//! point, year, region and metric: mean, sd, p05, p50, p95 and the 95% CI of the mean).
//!
//! Run ids are `point * replicates + replicate`. A staged run file holds that run's rows of
//! `runs.csv` exactly as they will appear there, then one `#national,<year>,...` line per year
//! (the values of `national.csv`, for the summary), then the trailer.
//!
//! Memory: runs in flight hold their own `World`; assembly holds one staged file (about 40 KB)
//! for `runs.csv`, and for `summary.csv` the numbers of one (point, year): replicates x
//! (15 regions x 30 metrics + 37 national metrics) x 8 bytes, about 3.9 KB per replicate
//! (3.9 MB for 1,000 replicates), since quantiles need all of a cell's values. Each staged file
//! is read once per year for that; nothing is held across years or points.

use super::store::{
    EnsembleError, Staging, csv_field, io, num, open_staging, parse_num, read_staged, write_staged,
};
use super::{replicate_seed, run_parallel};
use crate::metrics::{NationalRow, REGION_METRICS};
use crate::model::geo::{N_REGIONS, REGION_IDS};
use crate::output::AtomicFile;
use crate::scenario::Scenario;
use crate::sim::{RunResult, simulate_plain};
use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// What a sweep runs: the scenario of every point and the replicates per point.
#[derive(Debug, Clone)]
pub struct SweepPlan {
    /// The varied keys, in `--vary` order (column names in `runs.csv` and `summary.csv`).
    pub varied_keys: Vec<String>,
    /// Per point, the value of each varied key as applied (`--set key=value`).
    pub points: Vec<Vec<String>>,
    /// Per point, the resolved scenario.
    pub scenarios: Vec<Scenario>,
    pub replicates: u64,
    pub master_seed: u64,
}

/// One run of a sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunKey {
    pub run_id: u64,
    pub point: u64,
    pub replicate: u64,
    pub seed: u64,
}

impl SweepPlan {
    /// Loads the scenario of every point: the base file with `sets`, then the point's values
    /// as further `--set`s (so a bad key or value is reported like one in the file).
    pub fn load(
        file: &Path,
        sets: &[String],
        varied_keys: Vec<String>,
        points: Vec<Vec<String>>,
        replicates: u64,
        master_seed: u64,
    ) -> Result<SweepPlan, EnsembleError> {
        let scenarios = points
            .iter()
            .map(|values| {
                let mut s = sets.to_vec();
                s.extend(
                    varied_keys
                        .iter()
                        .zip(values)
                        .map(|(k, v)| format!("{k}={v}")),
                );
                Scenario::load(file, &s)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SweepPlan {
            varied_keys,
            points,
            scenarios,
            replicates,
            master_seed,
        })
    }

    pub fn runs(&self) -> u64 {
        self.points.len() as u64 * self.replicates
    }

    pub fn key(&self, run_id: u64) -> RunKey {
        let replicate = run_id % self.replicates;
        RunKey {
            run_id,
            point: run_id / self.replicates,
            replicate,
            seed: replicate_seed(self.master_seed, replicate),
        }
    }

    /// The configuration hash carried by a point's staged runs: its resolved scenario, the
    /// replicates and the master seed (what makes the run's numbers).
    pub fn config_hash(&self, point: u64) -> u64 {
        super::store::config_hash(&serde_json::json!({
            "scenario": self.scenarios[point as usize].raw,
            "replicates": self.replicates,
            "seed": self.master_seed,
        }))
    }

    fn years(&self, point: u64) -> usize {
        let s = &self.scenarios[point as usize];
        (s.end_year - s.start_year + 1) as usize
    }

    /// The columns of `runs.csv` before `year`: `run_id,point,replicate,seed,<keys>`.
    fn prefix(&self, key: &RunKey) -> String {
        let mut p = format!(
            "{},{},{},{},",
            key.run_id, key.point, key.replicate, key.seed
        );
        for v in &self.points[key.point as usize] {
            p.push_str(&csv_field(v));
            p.push(',');
        }
        p
    }

    /// The header of `runs.csv`.
    pub fn runs_header(&self) -> String {
        let mut h = String::from("run_id,point,replicate,seed,");
        for k in &self.varied_keys {
            h.push_str(&csv_field(k));
            h.push(',');
        }
        h.push_str("year,region,");
        h.push_str(&REGION_METRICS.join(","));
        h.push('\n');
        h
    }
}

/// Where run `run_id` is staged.
pub fn run_file(dir: &Path, run_id: u64) -> PathBuf {
    dir.join("runs").join(format!("run-{run_id:06}.csv"))
}

/// The staged text of one run (without the trailer).
fn run_text(plan: &SweepPlan, key: &RunKey, result: &RunResult) -> String {
    let prefix = plan.prefix(key);
    let mut out = String::with_capacity(result.regions.len() * 400);
    for row in &result.regions {
        out.push_str(&prefix);
        let _ = write!(out, "{},{}", row.year, row.region);
        for v in row.values() {
            out.push(',');
            out.push_str(&num(v));
        }
        out.push('\n');
    }
    for row in &result.national {
        let _ = write!(out, "#national,{}", row.year);
        for v in row.values() {
            out.push(',');
            out.push_str(&num(v));
        }
        out.push('\n');
    }
    out
}

/// Reads run `key`'s staged file if it is complete and belongs to this plan.
fn read_run(dir: &Path, plan: &SweepPlan, key: &RunKey) -> Result<Option<String>, EnsembleError> {
    let prefix = plan.prefix(key);
    let years = plan.years(key.point);
    let fields = 2 + REGION_METRICS.len();
    let national_fields = 2 + NationalRow::header().len() - 1;
    let config = plan.config_hash(key.point);
    read_staged(&run_file(dir, key.run_id), key.run_id, config, |body| {
        let (mut regions, mut national) = (0, 0);
        for line in body.lines() {
            if let Some(rest) = line.strip_prefix("#national,") {
                national += 1;
                if rest.split(',').count() != national_fields - 1 {
                    return false;
                }
            } else if let Some(rest) = line.strip_prefix(prefix.as_str()) {
                regions += 1;
                if rest.split(',').count() != fields {
                    return false;
                }
            } else {
                return false;
            }
        }
        regions == years * N_REGIONS && national == years
    })
}

/// The runs still to do: all of them, or with `resume` those whose staged file is missing or
/// damaged (a damaged file is recomputed, never trusted).
pub fn pending_runs(dir: &Path, plan: &SweepPlan, resume: bool) -> Result<Vec<u64>, EnsembleError> {
    pending_among(dir, plan, 0..plan.runs(), resume)
}

/// [`pending_runs`] among `ids` only (a shard's runs; or every run, to find the missing ones
/// before a merge).
pub fn pending_among(
    dir: &Path,
    plan: &SweepPlan,
    ids: impl IntoIterator<Item = u64>,
    resume: bool,
) -> Result<Vec<u64>, EnsembleError> {
    let mut out = Vec::new();
    for id in ids {
        if !resume || read_run(dir, plan, &plan.key(id))?.is_none() {
            out.push(id);
        }
    }
    Ok(out)
}

/// Runs `run_ids` in parallel in the caller's rayon pool, staging each run as it finishes;
/// `on_done` is called once per staged run (for a progress bar). `staging` says whether other
/// processes (shards) stage into `dir` at the same time.
pub fn run_sweep(
    dir: &Path,
    plan: &SweepPlan,
    run_ids: &[u64],
    staging: Staging,
    on_done: &(dyn Fn() + Sync),
) -> Result<(), EnsembleError> {
    open_staging(&dir.join("runs"), staging)?;
    run_parallel(run_ids, |&id| {
        let key = plan.key(id);
        let result = simulate_plain(&plan.scenarios[key.point as usize], key.seed);
        let text = run_text(plan, &key, &result);
        drop(result);
        write_staged(&run_file(dir, id), id, plan.config_hash(key.point), &text)?;
        on_done();
        Ok(())
    })
}

/// Writes `runs.csv` and `summary.csv` from the staged runs, in run-id order.
pub fn assemble(dir: &Path, plan: &SweepPlan) -> Result<(), EnsembleError> {
    write_runs_csv(dir, plan)?;
    write_summary_csv(dir, plan)
}

pub(crate) fn staged(dir: &Path, plan: &SweepPlan, id: u64) -> Result<String, EnsembleError> {
    read_run(dir, plan, &plan.key(id))?.ok_or_else(|| EnsembleError::Damaged(run_file(dir, id)))
}

fn write_runs_csv(dir: &Path, plan: &SweepPlan) -> Result<(), EnsembleError> {
    let path = dir.join("runs.csv");
    let mut file = AtomicFile::create(&path)?;
    {
        let mut w = BufWriter::with_capacity(1 << 20, file.writer());
        w.write_all(plan.runs_header().as_bytes())
            .map_err(io(&path))?;
        for id in 0..plan.runs() {
            let body = staged(dir, plan, id)?;
            for line in body.lines().filter(|l| !l.starts_with('#')) {
                w.write_all(line.as_bytes()).map_err(io(&path))?;
                w.write_all(b"\n").map_err(io(&path))?;
            }
        }
        w.flush().map_err(io(&path))?;
    }
    Ok(file.commit()?)
}

/// The region column of `summary.csv`: the 15 regions, then `national`.
const SUMMARY_REGIONS: usize = N_REGIONS + 1;

fn write_summary_csv(dir: &Path, plan: &SweepPlan) -> Result<(), EnsembleError> {
    let path = dir.join("summary.csv");
    let national_metrics: Vec<&str> = NationalRow::header()[1..].to_vec();
    let region_cells = N_REGIONS * REGION_METRICS.len();
    let cells_per_year = region_cells + national_metrics.len();
    let n = plan.replicates as usize;
    let mut file = AtomicFile::create(&path)?;
    {
        let mut w = BufWriter::with_capacity(1 << 20, file.writer());
        let mut header = String::from("point,");
        for k in &plan.varied_keys {
            header.push_str(&csv_field(k));
            header.push(',');
        }
        header.push_str("year,region,metric,n,mean,sd,p05,p50,p95,ci95_low,ci95_high\n");
        w.write_all(header.as_bytes()).map_err(io(&path))?;
        let mut scratch = Vec::with_capacity(n);
        for point in 0..plan.points.len() as u64 {
            let years = plan.years(point);
            let start_year = plan.scenarios[point as usize].start_year;
            // values[cell * n + replicate]
            let mut lead = format!("{point},");
            for v in &plan.points[point as usize] {
                lead.push_str(&csv_field(v));
                lead.push(',');
            }
            let mut line = String::new();
            // values[cell * n + replicate] for the cells of one year; every staged file of
            // the point is read once per year, so memory is one year's numbers.
            let mut values = vec![f64::NAN; cells_per_year * n];
            for yi in 0..years {
                let year = start_year + yi as i32;
                values.fill(f64::NAN);
                for rep in 0..plan.replicates {
                    let id = point * plan.replicates + rep;
                    let body = staged(dir, plan, id)?;
                    let file_path = run_file(dir, id);
                    let lines = body.lines().filter(|l| !l.starts_with('#'));
                    // Region rows come in (year, region) order; the metrics are the last
                    // fields (the varied values before them may be quoted).
                    for (r, line) in lines.skip(yi * N_REGIONS).take(N_REGIONS).enumerate() {
                        let fields = line.rsplitn(REGION_METRICS.len() + 1, ',');
                        let fields: Vec<&str> = fields.take(REGION_METRICS.len()).collect();
                        for (m, text) in fields.iter().rev().enumerate() {
                            let cell = r * REGION_METRICS.len() + m;
                            values[cell * n + rep as usize] = parse_num(&file_path, text)?;
                        }
                    }
                    let national = body
                        .lines()
                        .filter_map(|l| l.strip_prefix("#national,"))
                        .nth(yi)
                        .ok_or_else(|| EnsembleError::Damaged(file_path.clone()))?;
                    for (m, text) in national.split(',').skip(1).enumerate() {
                        let cell = region_cells + m;
                        values[cell * n + rep as usize] = parse_num(&file_path, text)?;
                    }
                }
                for region in 0..SUMMARY_REGIONS {
                    let (name, metrics, base): (&str, &[&str], usize) = if region < N_REGIONS {
                        (
                            REGION_IDS[region],
                            &REGION_METRICS,
                            region * REGION_METRICS.len(),
                        )
                    } else {
                        ("national", &national_metrics, region_cells)
                    };
                    for (m, metric) in metrics.iter().enumerate() {
                        let cell = base + m;
                        let s = super::stats::summarise(
                            &values[cell * n..(cell + 1) * n],
                            &mut scratch,
                        );
                        line.clear();
                        let _ = writeln!(
                            line,
                            "{lead}{year},{name},{metric},{},{},{},{},{},{},{},{}",
                            s.ci.n,
                            num(s.ci.mean),
                            num(s.ci.sd),
                            num(s.p05),
                            num(s.p50),
                            num(s.p95),
                            num(s.ci.ci95_low),
                            num(s.ci.ci95_high)
                        );
                        w.write_all(line.as_bytes()).map_err(io(&path))?;
                    }
                }
            }
        }
        w.flush().map_err(io(&path))?;
    }
    Ok(file.commit()?)
}

/// Runs per row group of `runs.parquet` (64 runs of 6 years: 5,760 rows, about 1.5 MB).
const RUNS_PER_ROW_GROUP: u64 = 64;

/// Writes `runs.parquet`: the columns of `runs.csv` (`seed` as unsigned 64-bit, varied values
/// as text as written, `year` 32-bit, metrics as doubles), streamed from the staged runs.
pub fn write_runs_parquet(dir: &Path, plan: &SweepPlan) -> Result<(), EnsembleError> {
    use crate::output::columnar::{Column, Kind, ParquetFile};
    let nm = REGION_METRICS.len();
    let mut schema: Vec<(String, Kind)> = ["run_id", "point", "replicate"]
        .iter()
        .map(|c| (c.to_string(), Kind::I64))
        .collect();
    schema.push(("seed".into(), Kind::U64));
    schema.extend(plan.varied_keys.iter().map(|k| (k.clone(), Kind::Text)));
    schema.push(("year".into(), Kind::I32));
    schema.push(("region".into(), Kind::Text));
    schema.extend(REGION_METRICS.iter().map(|m| (m.to_string(), Kind::F64)));
    let path = dir.join("runs.parquet");
    let mut file = ParquetFile::create(&path, &schema)?;
    let mut first = 0;
    while first < plan.runs() {
        let last = (first + RUNS_PER_ROW_GROUP).min(plan.runs());
        let (mut ids, mut points, mut reps, mut seeds) = (vec![], vec![], vec![], vec![]);
        let mut varied = vec![Vec::new(); plan.varied_keys.len()];
        let (mut years, mut regions) = (vec![], vec![]);
        let mut metrics = vec![Vec::new(); nm];
        for id in first..last {
            let key = plan.key(id);
            let body = staged(dir, plan, id)?;
            let file_path = run_file(dir, id);
            for line in body.lines().filter(|l| !l.starts_with('#')) {
                ids.push(id as i64);
                points.push(key.point as i64);
                reps.push(key.replicate as i64);
                seeds.push(key.seed);
                for (column, v) in varied.iter_mut().zip(&plan.points[key.point as usize]) {
                    column.push(v.clone());
                }
                let fields: Vec<&str> = line.rsplitn(nm + 3, ',').collect();
                for (m, text) in fields[..nm].iter().rev().enumerate() {
                    metrics[m].push(parse_num(&file_path, text)?);
                }
                regions.push(fields[nm].to_string());
                years.push(parse_num(&file_path, fields[nm + 1])? as i32);
            }
        }
        let mut columns = vec![
            Column::I64(ids),
            Column::I64(points),
            Column::I64(reps),
            Column::U64(seeds),
        ];
        columns.extend(varied.into_iter().map(Column::Text));
        columns.push(Column::I32(years));
        columns.push(Column::Text(regions));
        columns.extend(metrics.into_iter().map(Column::F64));
        file.write_row_group(&columns)?;
        first = last;
    }
    Ok(file.commit()?)
}
