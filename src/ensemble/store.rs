//! Staged run files: one small text file per finished run (or pair of runs), written
//! atomically (temporary name + rename), validated before it is trusted, read back in run order.
//! The last line carries the hash of the configuration that made the run and a checksum of
//! the content, so an edited file or one from another configuration is recomputed.

use crate::output::{OutputError, write_bytes};
use std::path::{Path, PathBuf};

/// Why an ensemble could not be run or assembled.
#[derive(Debug, thiserror::Error)]
pub enum EnsembleError {
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: staged run file is missing or damaged; rerun with --resume to recompute it", .0.display())]
    Damaged(PathBuf),
    #[error("{}: bad number `{text}` in a staged run file", path.display())]
    BadNumber { path: PathBuf, text: String },
    #[error(transparent)]
    Scenario(#[from] crate::scenario::ScenarioError),
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> EnsembleError + '_ {
    move |source| EnsembleError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// FNV-1a, 64 bits: a checksum that finds edits and truncation (not a defence against
/// deliberate forgery), computed without a dependency and identical on every machine.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The hash of a configuration given as JSON (what makes a run: resolved scenario, seeds).
pub fn config_hash(value: &serde_json::Value) -> u64 {
    fnv1a(value.to_string().as_bytes())
}

/// The last line of every staged file:
/// `#end,<id>,<lines before it>,<configuration hash>,<checksum of the lines before it>`,
/// both hashes as 16 hex digits.
pub(crate) fn trailer(id: u64, config: u64, body: &str) -> String {
    format!(
        "#end,{id},{},{config:016x},{:016x}\n",
        body.lines().count(),
        fnv1a(body.as_bytes())
    )
}

/// Creates the staging folder and removes temporary files a killed process left behind.
pub(crate) fn prepare_staging(dir: &Path) -> Result<(), EnsembleError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    crate::output::sweep_temp_files(dir)?;
    Ok(())
}

/// Creates the staging folder; with [`Staging::Exclusive`] also removes the temporary files a
/// killed process left behind. With [`Staging::Shared`] other processes (shards) may be
/// writing there right now, and their temporary files are not ours to remove.
pub(crate) fn open_staging(dir: &Path, staging: Staging) -> Result<(), EnsembleError> {
    match staging {
        Staging::Exclusive => prepare_staging(dir),
        Staging::Shared => std::fs::create_dir_all(dir).map_err(io(dir)),
    }
}

/// Who writes into an ensemble's staging folder while a run goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staging {
    /// This process only (a whole sweep or comparison, or `--resume`).
    Exclusive,
    /// Several processes at once (the shards of one ensemble).
    Shared,
}

/// Writes a staged file: `body` (complete lines) then the trailer.
pub(crate) fn write_staged(
    path: &Path,
    id: u64,
    config: u64,
    body: &str,
) -> Result<(), EnsembleError> {
    let mut text = String::with_capacity(body.len() + 64);
    text.push_str(body);
    text.push_str(&trailer(id, config, body));
    Ok(write_bytes(path, text.as_bytes())?)
}

/// Reads a staged file and returns its body if it is complete: it ends with the trailer for
/// `id` and `config`, the trailer's line count and checksum match, and `valid(body)` accepts
/// it. Anything else (a missing, truncated, foreign or edited file) gives `None`.
pub(crate) fn read_staged(
    path: &Path,
    id: u64,
    config: u64,
    valid: impl Fn(&str) -> bool,
) -> Result<Option<String>, EnsembleError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => return Ok(None),
        Err(e) => return Err(io(path)(e)),
    };
    let Some(body_end) = text[..text.len().saturating_sub(1)]
        .rfind('\n')
        .map(|i| i + 1)
    else {
        return Ok(None);
    };
    let (body, last) = text.split_at(body_end);
    if last != trailer(id, config, body) || !valid(body) {
        return Ok(None);
    }
    let mut body = text;
    body.truncate(body_end);
    Ok(Some(body))
}

/// Shortest text that parses back to the same f64 (`NaN` for undefined values).
pub(crate) fn num(x: f64) -> String {
    x.to_string()
}

pub(crate) fn parse_num(path: &Path, text: &str) -> Result<f64, EnsembleError> {
    text.parse().map_err(|_| EnsembleError::BadNumber {
        path: path.to_path_buf(),
        text: text.to_string(),
    })
}

/// A CSV field: quoted when it holds a comma, a quote or a line break.
pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_files_are_trusted_only_when_complete() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("run-000003.csv");
        assert!(read_staged(&p, 3, 7, |_| true).unwrap().is_none());
        write_staged(&p, 3, 7, "a,1\nb,2\n").unwrap();
        assert_eq!(
            read_staged(&p, 3, 7, |_| true).unwrap().unwrap(),
            "a,1\nb,2\n"
        );
        assert!(
            read_staged(&p, 4, 7, |_| true).unwrap().is_none(),
            "another run's file"
        );
        assert!(
            read_staged(&p, 3, 8, |_| true).unwrap().is_none(),
            "another configuration's file"
        );
        assert!(read_staged(&p, 3, 7, |_| false).unwrap().is_none());
        let text = std::fs::read_to_string(&p).unwrap();
        for cut in [0, 3, text.len() - 1] {
            std::fs::write(&p, &text[..cut]).unwrap();
            assert!(
                read_staged(&p, 3, 7, |_| true).unwrap().is_none(),
                "cut at {cut}"
            );
        }
        // A line lost from the middle.
        std::fs::write(&p, "a,1\n#end,3,2\n").unwrap();
        assert!(read_staged(&p, 3, 7, |_| true).unwrap().is_none());
        // One digit edited by hand, trailer intact.
        std::fs::write(&p, text.replace("b,2", "b,3")).unwrap();
        assert!(read_staged(&p, 3, 7, |_| true).unwrap().is_none());
    }

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("0.5"), "0.5");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
    }
}
