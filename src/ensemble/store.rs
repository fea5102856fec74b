//! Staged run files: one small text file per finished run (or pair of runs), written
//! atomically (temporary name + rename), validated before it is trusted, read back in run order.

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

/// The last line of every staged file: `#end,<id>,<lines before it>`.
pub(crate) fn trailer(id: u64, lines: usize) -> String {
    format!("#end,{id},{lines}\n")
}

/// Creates the staging folder and removes temporary files a killed process left behind.
pub(crate) fn prepare_staging(dir: &Path) -> Result<(), EnsembleError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        if entry.file_name().to_string_lossy().starts_with(".tmp-") {
            std::fs::remove_file(entry.path()).map_err(io(dir))?;
        }
    }
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
pub(crate) fn write_staged(path: &Path, id: u64, body: &str) -> Result<(), EnsembleError> {
    let lines = body.lines().count();
    let mut text = String::with_capacity(body.len() + 32);
    text.push_str(body);
    text.push_str(&trailer(id, lines));
    Ok(write_bytes(path, text.as_bytes())?)
}

/// Reads a staged file and returns its body if it is complete: it ends with the trailer for
/// `id`, the trailer's line count matches, and `valid(body)` accepts it. Anything else (a
/// missing, truncated, foreign or edited file) gives `None`.
pub(crate) fn read_staged(
    path: &Path,
    id: u64,
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
    if last != trailer(id, body.lines().count()) || !valid(body) {
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
        assert!(read_staged(&p, 3, |_| true).unwrap().is_none());
        write_staged(&p, 3, "a,1\nb,2\n").unwrap();
        assert_eq!(read_staged(&p, 3, |_| true).unwrap().unwrap(), "a,1\nb,2\n");
        assert!(
            read_staged(&p, 4, |_| true).unwrap().is_none(),
            "another run's file"
        );
        assert!(read_staged(&p, 3, |_| false).unwrap().is_none());
        let text = std::fs::read_to_string(&p).unwrap();
        for cut in [0, 3, text.len() - 1] {
            std::fs::write(&p, &text[..cut]).unwrap();
            assert!(
                read_staged(&p, 3, |_| true).unwrap().is_none(),
                "cut at {cut}"
            );
        }
        // A line lost from the middle.
        std::fs::write(&p, "a,1\n#end,3,2\n").unwrap();
        assert!(read_staged(&p, 3, |_| true).unwrap().is_none());
    }

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("0.5"), "0.5");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
    }
}
