//! Result files: CSV tables, the JSON manifest, output-folder checks.
//!
//! **Invariant:** only this module (and `charts/`) writes result files, and every file is
//! written to a temporary name in its folder and renamed into place, so a crash or a kill
//! never leaves a half-written file under the final name.

pub mod columnar;
pub mod folder;
pub mod inputs;

pub use inputs::check_inputs;

pub use folder::{
    DirLock, LOCK_FILE, TEMP_PREFIX, is_empty_dir, lock_dir, record_files, remove_owned,
    sweep_temp_files,
};

use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Why an output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{}: output folder is not empty; pass --force to replace what regsim wrote there (your other files stay), or choose another --out", .0.display())]
    NotEmpty(PathBuf),
    #[error("{}: exists and is not a folder", .0.display())]
    NotADir(PathBuf),
    #[error("{}: is a symbolic link to {}, which does not exist; allowed: an existing folder, a link to one, or a new path", .0.display(), .1.display())]
    Dangling(PathBuf, PathBuf),
    #[error("{}: {}; refusing to read it (rerun the command that writes it)", .0.display(), .1)]
    Damaged(PathBuf, String),
    #[error("{}: in use by another regsim command ({}); wait for it to finish or choose another --out", .0.display(), .1)]
    Locked(PathBuf, String),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Csv { path: PathBuf, source: csv::Error },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Text from a file or a user on one line (control characters become spaces).
pub(crate) fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Makes sure `dir` exists and is empty (nothing but regsim's lock and temporary files), or,
/// with `force`, removes what regsim wrote there before ([`folder::remove_owned`]): a user's
/// other files stay.
pub fn prepare_dir(dir: &Path, force: bool) -> Result<(), OutputError> {
    if let Some(e) = folder::dangling(dir) {
        return Err(e);
    }
    if dir.exists() {
        if !dir.is_dir() {
            return Err(OutputError::NotADir(dir.to_path_buf()));
        }
        if !is_empty_dir(dir)? {
            if !force {
                return Err(OutputError::NotEmpty(dir.to_path_buf()));
            }
            remove_owned(dir)?;
        }
    } else {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    Ok(())
}

/// A file being written under a temporary name; `commit` renames it into place.
pub struct AtomicFile {
    path: PathBuf,
    tmp: tempfile::NamedTempFile,
}

impl AtomicFile {
    pub fn create(path: &Path) -> Result<Self, OutputError> {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        // Mode 0666 less the umask, like any file a program creates (tempfile's default is
        // 0600, which made tables unreadable to others while charts were not).
        let tmp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
            .tempfile_in(dir)
            .map_err(io(path))?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            tmp,
        })
    }

    pub fn writer(&mut self) -> &mut File {
        self.tmp.as_file_mut()
    }

    pub fn commit(self) -> Result<(), OutputError> {
        let path = self.path;
        self.tmp.as_file().sync_all().map_err(io(&path))?;
        self.tmp.persist(&path).map_err(|e| OutputError::Io {
            path: path.clone(),
            source: e.error,
        })?;
        Ok(())
    }
}

/// Writes bytes atomically.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let mut f = AtomicFile::create(path)?;
    f.writer().write_all(bytes).map_err(io(path))?;
    f.commit()
}

/// Writes serialisable rows as CSV (header from the field names) atomically.
pub fn write_csv<T: Serialize>(
    path: &Path,
    rows: impl IntoIterator<Item = T>,
) -> Result<(), OutputError> {
    let mut w = CsvFile::create(path)?;
    for row in rows {
        w.write(&row)?;
    }
    w.commit()
}

/// A CSV file written row by row (for tables too large to hold), committed atomically.
pub struct CsvFile {
    path: PathBuf,
    file: Option<AtomicFile>,
    csv: csv::Writer<BufWriter<File>>,
}

impl CsvFile {
    pub fn create(path: &Path) -> Result<Self, OutputError> {
        let file = AtomicFile::create(path)?;
        let handle = file.tmp.reopen().map_err(io(path))?;
        Ok(CsvFile {
            path: path.to_path_buf(),
            file: Some(file),
            csv: csv::Writer::from_writer(BufWriter::with_capacity(1 << 20, handle)),
        })
    }

    pub fn write<T: Serialize>(&mut self, row: &T) -> Result<(), OutputError> {
        self.csv.serialize(row).map_err(|source| OutputError::Csv {
            path: self.path.clone(),
            source,
        })
    }

    pub fn commit(mut self) -> Result<(), OutputError> {
        self.csv.flush().map_err(io(&self.path))?;
        let file = self.file.take().expect("committed once");
        file.commit()
    }
}

/// Writes `national.csv` (named columns; see `metrics::NationalRow::header`).
pub fn write_national(
    path: &Path,
    rows: &[crate::metrics::NationalRow],
) -> Result<(), OutputError> {
    let mut f = CsvFile::create(path)?;
    let err = |source| OutputError::Csv {
        path: path.to_path_buf(),
        source,
    };
    f.csv
        .write_record(crate::metrics::NationalRow::header())
        .map_err(err)?;
    for row in rows {
        let mut rec = vec![row.year.to_string()];
        // Undefined values (a share of nothing) are empty cells (docs/OUTPUTS.md).
        rec.extend(row.values().iter().map(|v| {
            if v.is_nan() {
                String::new()
            } else {
                v.to_string()
            }
        }));
        f.csv.write_record(&rec).map_err(err)?;
    }
    f.commit()
}

/// Writes pretty JSON atomically.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), OutputError> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| OutputError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    text.push('\n');
    write_bytes(path, text.as_bytes())
}

/// Writes pretty JSON to `path` only if no file is there yet: a temporary file linked into
/// place without replacing, so of several processes racing to create it (the shards of one
/// ensemble) exactly one succeeds and none sees a half-written file. Returns whether this call
/// created it.
pub fn create_json_once<T: Serialize>(path: &Path, value: &T) -> Result<bool, OutputError> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| OutputError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    text.push('\n');
    let mut f = AtomicFile::create(path)?;
    f.writer().write_all(text.as_bytes()).map_err(io(path))?;
    f.tmp.as_file().sync_all().map_err(io(path))?;
    match f.tmp.persist_noclobber(path) {
        Ok(_) => Ok(true),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(io(path)(e.error)),
    }
}

/// The version and commit this binary was built from.
pub fn build_info() -> (&'static str, &'static str) {
    (env!("CARGO_PKG_VERSION"), env!("REGSIM_GIT_COMMIT"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_non_empty_folders_without_force() {
        let dir = tempfile::tempdir().unwrap();
        prepare_dir(dir.path(), false).unwrap();
        std::fs::write(dir.path().join("x"), "1").unwrap();
        let err = prepare_dir(dir.path(), false).unwrap_err();
        assert!(err.to_string().contains("--force"), "{err}");
        prepare_dir(dir.path(), true).unwrap();
        // --force keeps a user's file.
        assert!(dir.path().join("x").exists());
    }

    #[test]
    fn output_files_get_the_usual_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        write_bytes(&path, b"x").unwrap();
        let plain = dir.path().join("b");
        std::fs::write(&plain, "x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), mode(&plain));
    }

    #[test]
    fn atomic_file_is_invisible_until_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        let mut w = CsvFile::create(&path).unwrap();
        w.write(&("x", 1)).unwrap();
        assert!(!path.exists());
        w.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "x,1\n");
        // No temporary files left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
