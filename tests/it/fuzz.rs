//! A mutation fuzzer over the shipped scenarios and `--set` values, in-process: every case
//! calls `Scenario::load` (what `regsim check` does) under `catch_unwind`, and accepted
//! scenarios are run at scale 0.001 (what `regsim run --scale 0.001` does) with every output
//! value scanned for NaN and infinity. A case passes when it is accepted or rejected with a
//! one-line-per-problem error; a panic or a non-finite output fails the test.
//!
//! The normal test run does a few thousand cases (seconds). The long campaign is opt-in:
//! `REGSIM_FUZZ_CASES=1000000 REGSIM_FUZZ_RUNS=10000 cargo test --release --test it fuzz`
//! (`REGSIM_FUZZ_SEED` picks another stream of cases). Cases are a pure function of (seed,
//! case number), so a failure prints the case to replay.

use regsim::scenario::Scenario;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

const SCENARIOS: &[&str] = &[
    "baseline.toml",
    "work-plan-2026.toml",
    "key-industries-2023.toml",
    "ai-supply-chains-2025.toml",
    "supply-chain-shock.toml",
];

/// Values that broke (or could break) something: extremes, non-numbers, wrong types, text
/// with line breaks, unknown names, years outside any horizon.
const HOSTILE: &[&str] = &[
    "0",
    "-0.0",
    "-1",
    "1",
    "0.5",
    "2",
    "1e300",
    "-1e300",
    "5e-324",
    "1e-300",
    "1e-9",
    "nan",
    "inf",
    "-inf",
    "1e10",
    "1e15",
    "1e308",
    "4294967296",
    "-9223372036854775808",
    "9223372036854775807",
    "18446744073709551615",
    "-1000000000000",
    "\"\"",
    "\"abc\"",
    "true",
    "[]",
    "[1e300, -1]",
    "{}",
    "a\nb",
    "\"busan\"",
    "[\"nowhere\"]",
    "[\"busan\", \"manufacturing\"]",
    "{ 2026 = 1e300 }",
    "{ 1900 = 1 }",
    "{ nowhere = 1 }",
    "{ 2026 = [\"busan\"] }",
    "0.0001",
    "2025",
    "2030",
    "12",
    "13",
];

/// SplitMix64: a keyed, stateless stream of case decisions.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, case: u64) -> Rng {
        let mut r = Rng(seed ^ case.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// The shipped scenarios: their texts and every leaf key with its value as written.
struct Corpus {
    dir: tempfile::TempDir,
    texts: Vec<(String, String)>,
    leaves: Vec<(String, toml::Value)>,
}

fn leaves(prefix: &str, table: &toml::Table, out: &mut Vec<(String, toml::Value)>) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => leaves(&key, t, out),
            _ => out.push((key, v.clone())),
        }
    }
}

impl Corpus {
    fn new() -> Corpus {
        let dir = tempfile::tempdir().unwrap();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut texts = Vec::new();
        let mut all = Vec::new();
        for name in SCENARIOS {
            let text = std::fs::read_to_string(src.join(name)).unwrap();
            // The copies sit side by side, so `extends = "baseline.toml"` resolves.
            std::fs::write(dir.path().join(name), &text).unwrap();
            let table: toml::Table = toml::from_str(&text).unwrap();
            leaves("", &table, &mut all);
            texts.push((name.to_string(), text));
        }
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all.dedup_by(|a, b| a.0 == b.0);
        Corpus {
            dir,
            texts,
            leaves: all,
        }
    }
}

/// A value for a key: hostile, or the original perturbed (scaled by a power of ten, negated,
/// zeroed), so some cases land just inside and just outside the allowed ranges.
fn value_for(rng: &mut Rng, original: &toml::Value) -> String {
    let number = match original {
        toml::Value::Float(f) => Some(*f),
        toml::Value::Integer(i) => Some(*i as f64),
        _ => None,
    };
    match (number, rng.below(4)) {
        (Some(x), 0 | 1) => {
            let factor = *rng.pick(&[
                0.0, 1e-12, 1e-9, 1e-6, 1e-3, 0.1, 0.5, 0.99, 1.0, 1.01, 2.0, 10.0, 1e3, 1e6, 1e9,
                1e12, -1.0,
            ]);
            format!("{:?}", x * factor)
        }
        (None, 0) => {
            // Keep the type, change the content.
            match original {
                toml::Value::Array(a) if !a.is_empty() => {
                    let mut a = a.clone();
                    a.remove(rng.below(a.len()));
                    toml::Value::Array(a).to_string()
                }
                toml::Value::Boolean(b) => (!b).to_string(),
                other => other.to_string(),
            }
        }
        _ => rng.pick(HOSTILE).to_string(),
    }
}

/// A key: mostly a real one, sometimes one that does not exist in a plausible place.
fn key_for(rng: &mut Rng, corpus: &Corpus) -> (String, toml::Value) {
    let (key, value) = rng.pick(&corpus.leaves).clone();
    match rng.below(12) {
        0 => (format!("{key}.foo"), value),
        1 => {
            let parent = key.rsplit_once('.').map(|p| p.0).unwrap_or("");
            (
                format!("{parent}.zzz").trim_start_matches('.').into(),
                value,
            )
        }
        2 => (
            format!(
                "regions.{}.smes_2021",
                rng.pick(&["nowhere", "busan", "seoul", "capital"])
            ),
            value,
        ),
        3 => (
            rng.pick(&["extends", "a..b", "", "firms", "policy", "policy.shocks"])
                .to_string(),
            value,
        ),
        _ => (key, value),
    }
}

/// One `check` case: a scenario file (maybe mutated as text) and `--set`s.
struct Case {
    file: PathBuf,
    sets: Vec<String>,
    /// A mutated file to delete after the case.
    temp: Option<PathBuf>,
}

fn make_case(seed: u64, n: u64, corpus: &Corpus, mild: bool) -> Case {
    let mut rng = Rng::new(seed, n);
    let (name, text) = rng.pick(&corpus.texts).clone();
    let mut file = corpus.dir.path().join(&name);
    let mut temp = None;
    if !mild && rng.chance(0.3) {
        let mutated = mutate_text(&mut rng, &text);
        let path = corpus.dir.path().join(format!("case-{n}.toml"));
        std::fs::write(&path, mutated).unwrap();
        file = path.clone();
        temp = Some(path);
    }
    let mut sets = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let (key, original) = key_for(&mut rng, corpus);
        let value = if mild {
            let x = match original {
                toml::Value::Float(f) => Some(f),
                toml::Value::Integer(i) => Some(i as f64),
                _ => None,
            };
            match x {
                Some(x) => format!(
                    "{:?}",
                    x * rng.pick(&[0.0, 1e-9, 1e-3, 0.5, 0.9, 1.1, 2.0, 10.0, 1e3])
                ),
                None => continue,
            }
        } else {
            value_for(&mut rng, &original)
        };
        sets.push(format!("{key}={value}"));
    }
    Case { file, sets, temp }
}

/// A textual mutation: a line deleted, duplicated or swapped, a number replaced by a
/// hostile value, the text cut short, a byte inserted, or `extends` pointed elsewhere.
fn mutate_text(rng: &mut Rng, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let i = rng.below(lines.len());
    match rng.below(7) {
        0 => {
            lines.remove(i);
        }
        1 => {
            let l = lines[i].clone();
            lines.insert(i, l);
        }
        2 => {
            let j = rng.below(lines.len());
            lines.swap(i, j);
        }
        3 => {
            if let Some((k, _)) = lines[i].clone().split_once('=') {
                lines[i] = format!("{k}= {}", rng.pick(HOSTILE).replace('\n', " "));
            }
        }
        4 => {
            let cut = rng.below(text.len());
            let cut = (0..=cut).rev().find(|&c| text.is_char_boundary(c)).unwrap();
            return text[..cut].to_string();
        }
        5 => {
            let byte = *rng.pick(&["\"", "[", "]", "=", "\u{0}", "é", "{", "#"]);
            lines[i].insert_str(0, byte);
        }
        _ => {
            let target = rng.pick(&[
                "",
                "baseline.toml",
                "/dev/zero",
                "/dev/null",
                "/",
                "nonexistent.toml",
                "work-plan-2026.toml",
            ]);
            lines.retain(|l| !l.starts_with("extends"));
            lines.insert(0, format!("extends = \"{target}\""));
        }
    }
    lines.join("\n")
}

#[derive(Default)]
struct Counts {
    cases: AtomicU64,
    ok: AtomicU64,
    rejected: AtomicU64,
    panics: AtomicU64,
    runs: AtomicU64,
    runs_refused_by_guard: AtomicU64,
    run_panics: AtomicU64,
    nonfinite_runs: AtomicU64,
    failures: Mutex<Vec<String>>,
}

impl Counts {
    fn fail(&self, what: String) {
        let mut f = self.failures.lock().unwrap();
        if f.len() < 20 {
            f.push(what);
        }
    }
}

/// Loads the case like `regsim check`; counts the outcome. Returns the scenario if accepted.
fn check_case(case: &Case, counts: &Counts, label: &str) -> Option<Scenario> {
    counts.cases.fetch_add(1, Relaxed);
    let result = catch_unwind(AssertUnwindSafe(|| Scenario::load(&case.file, &case.sets)));
    match result {
        Ok(Ok(scn)) => {
            counts.ok.fetch_add(1, Relaxed);
            Some(scn)
        }
        Ok(Err(e)) => {
            counts.rejected.fetch_add(1, Relaxed);
            let text = e.to_string();
            // One problem per line, each naming a file (or the --set) and saying something.
            if text.trim().is_empty() || text.lines().any(|l| !l.contains(": ")) {
                counts.fail(format!("{label}: malformed error {text:?}"));
            }
            None
        }
        Err(_) => {
            counts.panics.fetch_add(1, Relaxed);
            counts.fail(format!("{label}: check panicked"));
            None
        }
    }
}

/// Runs an accepted scenario at scale 0.001 like `regsim run --scale 0.001` and scans every
/// output value. A scenario the resource guard would refuse (over 2 GB) is counted, not run.
fn run_case(case: &Case, counts: &Counts, label: &str) {
    let mut sets = case.sets.clone();
    sets.push("scale=0.001".into());
    let Ok(Ok(scn)) = catch_unwind(AssertUnwindSafe(|| Scenario::load(&case.file, &sets))) else {
        return;
    };
    if regsim::resources::estimate(&scn, 1, 1, 1).bytes > 2e9 {
        counts.runs_refused_by_guard.fetch_add(1, Relaxed);
        return;
    }
    counts.runs.fetch_add(1, Relaxed);
    match catch_unwind(AssertUnwindSafe(|| {
        regsim::sim::simulate_plain(&scn, scn.seed)
    })) {
        Ok(result) => {
            let regions = result.regions.iter().flat_map(|r| r.values());
            let national = result.national.iter().flat_map(super::national_values);
            let programs = result
                .programs
                .iter()
                .flat_map(|p| [p.spend_krw, p.firms_treated, p.startups_treated]);
            if let Some(bad) = regions
                .chain(national)
                .chain(programs)
                .find(|v| !v.is_finite())
            {
                counts.nonfinite_runs.fetch_add(1, Relaxed);
                counts.fail(format!("{label}: output value {bad}"));
            }
        }
        Err(_) => {
            counts.run_panics.fetch_add(1, Relaxed);
            counts.fail(format!("{label}: run panicked"));
        }
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// Runs `checks` check cases and `runs` run attempts (check cases use hostile values; run
/// cases mostly mild perturbations, so most are accepted and run), in parallel.
fn campaign(seed: u64, checks: u64, runs: u64) -> Counts {
    use rayon::prelude::*;
    let corpus = Corpus::new();
    let counts = Counts::default();
    let label = |kind: &str, n: u64, case: &Case| {
        format!(
            "{kind} case {n} (REGSIM_FUZZ_SEED={seed}): {} --set {:?}",
            case.file.display(),
            case.sets
        )
    };
    (0..checks).into_par_iter().for_each(|n| {
        let case = make_case(seed, n, &corpus, false);
        check_case(&case, &counts, &label("check", n, &case));
        if let Some(t) = &case.temp {
            let _ = std::fs::remove_file(t);
        }
    });
    (0..runs).into_par_iter().for_each(|n| {
        // Run cases: three in four mild, one hostile (most hostile ones are rejected).
        let case = make_case(seed ^ 0x5eed, n, &corpus, n % 4 != 0);
        run_case(&case, &counts, &label("run", n, &case));
        if let Some(t) = &case.temp {
            let _ = std::fs::remove_file(t);
        }
    });
    counts
}

#[test]
fn fuzz_check_and_run_never_panic_nor_produce_nan() {
    let seed = env_u64("REGSIM_FUZZ_SEED", 19);
    let checks = env_u64("REGSIM_FUZZ_CASES", 3000);
    let runs = env_u64("REGSIM_FUZZ_RUNS", 24);
    let started = std::time::Instant::now();
    let c = campaign(seed, checks, runs);
    let get = |a: &AtomicU64| a.load(Relaxed);
    eprintln!(
        "fuzz seed {seed}: {} check cases ({} ok, {} rejected with exit-2 errors, {} panics); {} run cases at scale 0.001 ({} refused by the resource guard, {} panics, {} with NaN/inf outputs) in {:.1} s",
        get(&c.cases),
        get(&c.ok),
        get(&c.rejected),
        get(&c.panics),
        get(&c.runs),
        get(&c.runs_refused_by_guard),
        get(&c.run_panics),
        get(&c.nonfinite_runs),
        started.elapsed().as_secs_f64()
    );
    let failures = c.failures.lock().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(get(&c.cases), checks);
    // The generator reaches both outcomes: it is not all rejections.
    assert!(checks == 0 || (get(&c.ok) > 0 && get(&c.rejected) > 0));
    assert!(get(&c.runs) > 0 || runs == 0);
}
