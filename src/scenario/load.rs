//! Reading scenario files: TOML text -> merged table (`extends`, `--set`) -> [`RawScenario`].
//!
//! Only this file knows TOML. Errors carry the file, the dotted key and, where the text shows
//! it, the line.

use super::error::{Problem, ScenarioError};
use super::raw::RawScenario;
use std::path::{Path, PathBuf};
use toml::{Table, Value};

/// How deep `extends` chains may go before we call it a cycle.
const MAX_EXTENDS_DEPTH: usize = 8;
/// The largest scenario file read (the shipped ones are under 20 KB).
pub const MAX_SCENARIO_BYTES: u64 = 1 << 20;

/// The merged table of a scenario and the texts it came from (child first), for line lookup.
pub struct Loaded {
    pub raw: RawScenario,
    pub file: PathBuf,
    sources: Vec<(PathBuf, String)>,
    /// Keys given with `--set` (they are reported as such, not at a line of a file).
    set_keys: Vec<String>,
    /// Problems found while reading (unknown region and sector tables), reported first.
    pub problems: Vec<Problem>,
}

impl Loaded {
    /// Where `key` comes from: a `--set` (the scenario named on the command line, no line),
    /// else the first file that writes it (child first), else the scenario with no line.
    pub fn locate(&self, key: &str) -> (PathBuf, Option<usize>) {
        locate_in(&self.file, &self.sources, &self.set_keys, key)
    }
}

fn locate_in(
    file: &Path,
    sources: &[(PathBuf, String)],
    set_keys: &[String],
    key: &str,
) -> (PathBuf, Option<usize>) {
    let from_set = set_keys.iter().any(|s| {
        key == s || key.starts_with(&format!("{s}.")) || key.starts_with(&format!("{s}["))
    });
    if from_set {
        return (file.to_path_buf(), None);
    }
    sources
        .iter()
        .find_map(|(f, text)| find_key_line(text, key).map(|l| (f.clone(), Some(l))))
        .unwrap_or_else(|| (file.to_path_buf(), None))
}

/// Reads `path`, resolves `extends`, applies `sets` (`key.path=value`) and deserialises.
pub fn load(path: &Path, sets: &[String]) -> Result<Loaded, ScenarioError> {
    let mut sources = Vec::new();
    let mut table = load_table(path, &mut sources, 0)?;
    let mut set_keys = Vec::new();
    for set in sets {
        set_keys.push(apply_set(&mut table, set)?);
    }
    let file = path.to_path_buf();
    // Unknown region and sector tables are problems of their own; they are taken out so the
    // rest is still checked (every problem at once), and `validate` reports them first.
    let problems: Vec<Problem> = unknown_names(&mut table)
        .into_iter()
        .map(|(key, msg)| {
            let (f, line) = locate_in(&file, &sources, &set_keys, &key);
            Problem::new(&f, key, line, msg)
        })
        .collect();
    let raw: RawScenario = serde_path_to_error::deserialize(Value::Table(table)).map_err(|e| {
        let mut key = e.path().to_string();
        let msg = e.inner().message().to_string();
        if let Some(field) = unknown_field(&msg) {
            key = if key == "." || key.is_empty() {
                field
            } else if key == field || key.ends_with(&format!(".{field}")) {
                // serde_path_to_error sometimes already ends the path with the field.
                key
            } else {
                format!("{key}.{field}")
            };
        }
        let (f, line) = locate_in(&file, &sources, &set_keys, &key);
        let mut all = problems.clone();
        all.push(Problem::new(&f, key, line, msg));
        ScenarioError::Invalid { problems: all }
    })?;
    Ok(Loaded {
        raw,
        file,
        sources,
        set_keys,
        problems,
    })
}

/// Takes region and sector tables with an unknown name out of `table` and returns them as
/// (key, message): reported as unknown names (serde would report the fields such a table
/// lacks, which hides the real problem).
fn unknown_names(table: &mut Table) -> Vec<(String, String)> {
    use crate::model::geo::{REGION_IDS, SECTOR_IDS, region_index, sector_index};
    let mut out = Vec::new();
    for (section, what, ids, known) in [
        (
            "regions",
            "region",
            &REGION_IDS[..],
            region_index as fn(&str) -> Option<usize>,
        ),
        (
            "sectors",
            "sector",
            &SECTOR_IDS[..],
            sector_index as fn(&str) -> Option<usize>,
        ),
    ] {
        if let Some(Value::Table(t)) = table.get_mut(section) {
            let unknown: Vec<String> = t.keys().filter(|n| known(n).is_none()).cloned().collect();
            for name in unknown {
                t.remove(&name);
                out.push((
                    format!("{section}.{name}"),
                    format!("unknown {what} `{name}`; allowed: {}", ids.join(", ")),
                ));
            }
        }
    }
    out
}

/// Reads a scenario file: only a regular file of at most [`MAX_SCENARIO_BYTES`] (a device
/// or a FIFO would read forever or block).
fn read_scenario_file(path: &Path) -> Result<String, std::io::Error> {
    use std::io::Read;
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other(
            "not a regular file; allowed: a TOML scenario file",
        ));
    }
    if meta.len() > MAX_SCENARIO_BYTES {
        return Err(std::io::Error::other(format!(
            "{} bytes; allowed: a scenario file of at most {MAX_SCENARIO_BYTES} bytes",
            meta.len()
        )));
    }
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_SCENARIO_BYTES + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_SCENARIO_BYTES {
        return Err(std::io::Error::other(format!(
            "grew past {MAX_SCENARIO_BYTES} bytes while read; allowed: a scenario file of at most {MAX_SCENARIO_BYTES} bytes"
        )));
    }
    Ok(text)
}

fn load_table(
    path: &Path,
    sources: &mut Vec<(PathBuf, String)>,
    depth: usize,
) -> Result<Table, ScenarioError> {
    if depth > MAX_EXTENDS_DEPTH {
        return Err(ScenarioError::invalid(
            path,
            "extends",
            None,
            format!("`extends` chain deeper than {MAX_EXTENDS_DEPTH} files (a cycle?)"),
        ));
    }
    let text = read_scenario_file(path).map_err(|source| ScenarioError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    let mut table: Table = toml::from_str(&text).map_err(|e| ScenarioError::Syntax {
        file: path.to_path_buf(),
        line: e.span().map(|s| line_of_offset(&text, s.start)),
        message: e.message().trim().to_string(),
    })?;
    sources.push((path.to_path_buf(), text));
    if let Some(parent) = table.get("extends").cloned() {
        let Value::String(parent) = parent else {
            return Err(ScenarioError::invalid(
                path,
                "extends",
                None,
                "must be a string: the path of the parent scenario, relative to this file".into(),
            ));
        };
        let line = sources
            .last()
            .and_then(|(_, text)| find_key_line(text, "extends"));
        if parent.trim().is_empty() {
            return Err(ScenarioError::invalid(
                path,
                "extends",
                line,
                "is empty; allowed: the path of the parent scenario, relative to this file".into(),
            ));
        }
        let parent_path = path.parent().unwrap_or(Path::new(".")).join(&parent);
        let mut base = match load_table(&parent_path, sources, depth + 1) {
            Err(ScenarioError::Io { file, source }) => {
                return Err(ScenarioError::invalid(
                    path,
                    "extends",
                    line,
                    if source.to_string().contains("allowed") {
                        format!("{}: cannot read: {source}", file.display())
                    } else {
                        format!(
                            "{}: cannot read: {source}; allowed: the path of a parent scenario file, relative to this file",
                            file.display()
                        )
                    },
                ));
            }
            other => other?,
        };
        // The child's own `name` and `description` always win; everything else merges.
        merge(&mut base, table);
        table = base;
        table.insert("extends".into(), Value::String(parent));
    }
    Ok(table)
}

/// Deep-merges `over` into `base`: tables merge key by key, everything else replaces.
fn merge(base: &mut Table, over: Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(Value::Table(b)), Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Applies one `key.path=value` override and returns its key. The value is parsed as a TOML
/// value; if it is not valid TOML it is taken as a string.
fn apply_set(table: &mut Table, set: &str) -> Result<String, ScenarioError> {
    let bad = |msg: String| ScenarioError::Set {
        set: set.to_string(),
        message: msg,
    };
    let (key, value) = set
        .split_once('=')
        .ok_or_else(|| bad("expected key=value, e.g. firms.exit_loss_months=8".into()))?;
    let key = key.trim();
    if key.is_empty() || key.split('.').any(str::is_empty) {
        return Err(bad(
            "the key must be a dotted path such as firms.displacement".into(),
        ));
    }
    if key == "extends" || key.starts_with("extends.") {
        return Err(bad(
            "`extends` cannot be set from the command line; write `extends = \"parent.toml\"` in the scenario file".into(),
        ));
    }
    let value = value.trim();
    let parsed: Value = match toml::from_str::<Table>(&format!("v = {value}")) {
        Ok(mut t) => t.remove("v").expect("parsed table has v"),
        Err(_) => Value::String(value.to_string()),
    };
    let parts: Vec<&str> = key.split('.').collect();
    let (leaf, path) = parts.split_last().expect("non-empty key");
    let mut cur = table;
    for p in path {
        let entry = cur
            .entry(p.to_string())
            .or_insert_with(|| Value::Table(Table::new()));
        cur = match entry {
            Value::Table(t) => t,
            _ => return Err(bad(format!("`{p}` is a value, not a table"))),
        };
    }
    cur.insert(leaf.to_string(), parsed);
    Ok(key.to_string())
}

/// `unknown field `foo`, expected ...` -> `foo`.
fn unknown_field(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("unknown field `")?;
    Some(rest[..rest.find('`')?].to_string())
}

fn line_of_offset(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Finds the 1-based line where a dotted key is set, following `[table]` headers. Falls back
/// to the parent key (a value inside an inline table is reported at the table's line).
pub fn find_key_line(text: &str, key: &str) -> Option<usize> {
    let parts: Vec<&str> = key.split('.').filter(|p| !p.is_empty()).collect();
    (1..=parts.len())
        .rev()
        .find_map(|n| find_exact(text, &parts[..n].join(".")))
}

fn find_exact(text: &str, key: &str) -> Option<usize> {
    let mut section = String::new();
    // Arrays of tables (`[[policy.shocks]]`) are numbered as serde names them: `policy.shocks[0]`.
    let mut arrays: std::collections::BTreeMap<String, usize> = Default::default();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('#') || t.is_empty() {
            continue;
        }
        if let Some(h) = t.strip_prefix('[') {
            let is_array = h.starts_with('[');
            let h = h.trim_start_matches('[');
            if let Some(end) = h.find(']') {
                section = h[..end].trim().to_string();
                if is_array {
                    let n = arrays.entry(section.clone()).or_insert(0);
                    section = format!("{section}[{n}]");
                    *n += 1;
                }
                if section == key {
                    return Some(i + 1);
                }
            }
            continue;
        }
        if let Some((lhs, _)) = t.split_once('=') {
            let lhs = lhs.trim().trim_matches('"');
            let full = if section.is_empty() {
                lhs.to_string()
            } else {
                format!("{section}.{lhs}")
            };
            if full == key {
                return Some(i + 1);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_lines_follow_sections_and_inline_tables() {
        let text = "name = \"x\"\n[firms]\na = 1\nb = 2\n\n[regions.busan]\nsector_mix = { services = 1 }\n";
        assert_eq!(find_key_line(text, "name"), Some(1));
        assert_eq!(find_key_line(text, "firms.b"), Some(4));
        assert_eq!(find_key_line(text, "regions.busan"), Some(6));
        assert_eq!(
            find_key_line(text, "regions.busan.sector_mix.services"),
            Some(7)
        );
        assert_eq!(find_key_line(text, "firms.zzz"), Some(2));
        let shocks = "[[policy.shocks]]\nsize = 1\n[[policy.shocks]]\nkind = \"x\"\nsize = 2\n";
        assert_eq!(find_key_line(shocks, "policy.shocks[1].size"), Some(5));
        assert_eq!(find_key_line(shocks, "policy.shocks[0].size"), Some(2));
    }

    #[test]
    fn merge_is_deep() {
        let mut base: Table = toml::from_str("[a]\nx = 1\ny = 2\n[b]\nz = 3").unwrap();
        let over: Table = toml::from_str("[a]\ny = 5").unwrap();
        merge(&mut base, over);
        assert_eq!(base["a"]["x"].as_integer(), Some(1));
        assert_eq!(base["a"]["y"].as_integer(), Some(5));
        assert_eq!(base["b"]["z"].as_integer(), Some(3));
    }

    #[test]
    fn set_parses_values_and_creates_paths() {
        let mut t = Table::new();
        apply_set(&mut t, "firms.rate=0.5").unwrap();
        apply_set(&mut t, "name=hello world").unwrap();
        assert_eq!(t["firms"]["rate"].as_float(), Some(0.5));
        assert_eq!(t["name"].as_str(), Some("hello world"));
        assert!(apply_set(&mut t, "nokey").is_err());
        assert!(apply_set(&mut t, "name.x=1").is_err());
    }
}
