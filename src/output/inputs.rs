//! The result files `chart` and `report` read back, checked before they are trusted: a
//! damaged or foreign table or JSON file is refused with one line naming the file and what
//! is wrong (exit 2), instead of a chart drawn from garbage.

use super::OutputError;
use std::path::Path;

/// A table: its required leading columns, and the columns that must hold numbers.
struct TableSpec {
    file: &'static str,
    leading: &'static [&'static str],
    /// Columns from this index on are numbers (`NaN` allowed: an undefined statistic).
    numbers_from: usize,
}

const TABLES: &[TableSpec] = &[
    TableSpec {
        file: "summary.csv",
        leading: &[
            "point",
            "year",
            "region",
            "metric",
            "n",
            "mean",
            "sd",
            "p05",
            "p50",
            "p95",
            "ci95_low",
            "ci95_high",
        ],
        numbers_from: 4,
    },
    TableSpec {
        file: "runs.csv",
        leading: &["run_id", "point", "replicate", "seed"],
        numbers_from: usize::MAX,
    },
    TableSpec {
        file: "regions.csv",
        leading: &["year", "region"],
        numbers_from: 2,
    },
    TableSpec {
        file: "national.csv",
        leading: &["year"],
        numbers_from: 0,
    },
];

/// JSON files and the top-level keys each must have.
const JSONS: &[(&str, &[&str])] = &[
    ("sweep.json", &["scenario", "points", "replicates", "seed"]),
    ("pairs.json", &["baseline", "policy", "replicates", "seed"]),
    (
        "compare.json",
        &["baseline", "policy", "replicates", "per_bn_krw"],
    ),
    ("manifest.json", &["command"]),
];

fn damaged(file: &Path, what: String) -> OutputError {
    OutputError::Damaged(file.to_path_buf(), super::one_line(&what))
}

/// Checks every result file `dir` holds among those `chart` and `report` read.
pub fn check_inputs(dir: &Path) -> Result<(), OutputError> {
    for spec in TABLES {
        let path = dir.join(spec.file);
        if path.is_file() {
            check_table(&path, spec)?;
        }
    }
    for (file, keys) in JSONS {
        let path = dir.join(file);
        if path.is_file() {
            check_json(&path, keys)?;
        }
    }
    Ok(())
}

fn check_table(path: &Path, spec: &TableSpec) -> Result<(), OutputError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .map_err(|e| damaged(path, format!("not a CSV table: {e}")))?;
    let header = reader
        .headers()
        .map_err(|e| damaged(path, format!("not a CSV table: {e}")))?
        .clone();
    let found: Vec<&str> = header.iter().take(spec.leading.len()).collect();
    if found != spec.leading {
        return Err(damaged(
            path,
            format!(
                "not a regsim table (its header starts `{}`; expected `{}`)",
                found.join(","),
                spec.leading.join(",")
            ),
        ));
    }
    let mut rows = 0u64;
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| damaged(path, format!("damaged row: {e}")))?;
        rows += 1;
        for (c, field) in record.iter().enumerate().skip(spec.numbers_from) {
            if field.parse::<f64>().is_err() {
                return Err(damaged(
                    path,
                    format!(
                        "line {}: column `{}` holds `{field}`, not a number",
                        i + 2,
                        header.get(c).unwrap_or("?")
                    ),
                ));
            }
        }
    }
    if rows == 0 {
        return Err(damaged(path, "has a header but no rows".into()));
    }
    Ok(())
}

fn check_json(path: &Path, keys: &[&str]) -> Result<(), OutputError> {
    let text = std::fs::read_to_string(path).map_err(|e| damaged(path, e.to_string()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| damaged(path, format!("invalid JSON: {e}")))?;
    let Some(object) = value.as_object() else {
        return Err(damaged(path, "not a JSON object".into()));
    };
    let missing: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| !object.contains_key(*k))
        .collect();
    if !missing.is_empty() {
        return Err(damaged(
            path,
            format!("not written by regsim (no `{}`)", missing.join("`, `")),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_refused_and_good_tables_pass() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join("regions.csv"),
            "year,region,firms\n2025,busan,1.5\n2026,busan,NaN\n",
        )
        .unwrap();
        check_inputs(d).unwrap();
        std::fs::write(d.join("summary.csv"), "garbage\n").unwrap();
        let e = check_inputs(d).unwrap_err().to_string();
        assert!(
            e.contains("summary.csv") && e.contains("not a regsim table"),
            "{e}"
        );
        std::fs::remove_file(d.join("summary.csv")).unwrap();
        std::fs::write(d.join("regions.csv"), "year,region,firms\n2025,busan,x\n").unwrap();
        let e = check_inputs(d).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("`firms`"), "{e}");
        std::fs::write(d.join("regions.csv"), "year,region,firms\n2025,busan\n").unwrap();
        assert!(check_inputs(d).is_err(), "a short row");
        std::fs::remove_file(d.join("regions.csv")).unwrap();
        std::fs::write(d.join("sweep.json"), "{}").unwrap();
        let e = check_inputs(d).unwrap_err().to_string();
        assert!(e.contains("sweep.json") && e.contains("`scenario`"), "{e}");
        std::fs::write(d.join("sweep.json"), "[1, 2").unwrap();
        let e = check_inputs(d).unwrap_err().to_string();
        assert!(e.contains("invalid JSON"), "{e}");
        assert_eq!(e.lines().count(), 1);
    }
}
