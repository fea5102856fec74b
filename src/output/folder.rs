//! Output folders: one writer at a time (a lock file held with `flock` for the whole
//! command), what `--force` may remove (only what regsim wrote), and the temporary files a
//! killed command leaves behind (one naming scheme, swept by the next command).
//!
//! **Invariant:** nothing here removes a file regsim did not write: `--force` removes the
//! files a folder's `manifest.json` lists, the fixed names regsim writes, staged runs
//! (`runs/run-*.csv`, `pairs/pair-*.csv`) and temporary files (`.tmp-*`); a user's other
//! files stay.

use super::{OutputError, io};
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Component, Path, PathBuf};

/// The lock file in every output folder (kept after the command: removing it would let a
/// second command lock a new file while the first still holds the old one).
pub const LOCK_FILE: &str = ".regsim.lock";
/// The prefix of every temporary file regsim writes (then renames into place).
pub const TEMP_PREFIX: &str = ".tmp-";
/// Files regsim writes under fixed names (any command), removed by `--force` even when no
/// manifest lists them (a command killed before writing its manifest).
pub const FIXED_FILES: &[&str] = &[
    "manifest.json",
    "report.html",
    "regions.csv",
    "national.csv",
    "programs.csv",
    "firms.csv",
    "runs.csv",
    "runs.parquet",
    "summary.csv",
    "sweep.json",
    "pairs.json",
    "compare.csv",
    "compare.json",
    // sensitivity and calibrate (docs/OUTPUTS.md)
    "sensitivity.json",
    "calibrate.json",
];
/// Sub-folders regsim writes into; removed by `--force` when nothing else is left in them.
const SUBDIRS: &[&str] = &[
    "charts",
    "runs",
    "pairs",
    "against/runs",
    "against",
    "evals",
];

/// An exclusive lock on an output folder, released when dropped (or when the process ends,
/// however it ends: the kernel drops `flock` locks with the file descriptor).
#[derive(Debug)]
pub struct DirLock {
    _file: File,
    pub path: PathBuf,
}

/// A symbolic link to nothing: named as such (creating the folder would say "File exists").
pub(super) fn dangling(dir: &Path) -> Option<OutputError> {
    let meta = std::fs::symlink_metadata(dir).ok()?;
    if meta.file_type().is_symlink() && std::fs::metadata(dir).is_err() {
        let target = std::fs::read_link(dir).unwrap_or_default();
        return Some(OutputError::Dangling(dir.to_path_buf(), target));
    }
    None
}

/// Locks `dir` for `command` (the command line, recorded in the lock file for whoever is
/// refused). Creates the folder when `create`; otherwise it must exist. A folder another
/// regsim command holds is refused with that command's pid and command line.
pub fn lock_dir(dir: &Path, command: &str, create: bool) -> Result<DirLock, OutputError> {
    if let Some(e) = dangling(dir) {
        return Err(e);
    }
    if dir.exists() && !dir.is_dir() {
        return Err(OutputError::NotADir(dir.to_path_buf()));
    }
    if create {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    } else if !dir.is_dir() {
        return Err(OutputError::Io {
            path: dir.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such folder"),
        });
    }
    let path = dir.join(LOCK_FILE);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io(&path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = super::one_line(holder.trim());
            return Err(OutputError::Locked(dir.to_path_buf(), holder));
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(&path)(e)),
    }
    let record = format!("pid {}: {command}\n", std::process::id());
    file.set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| file.write_all(record.as_bytes()))
        .map_err(io(&path))?;
    Ok(DirLock { _file: file, path })
}

/// True for names regsim never counts as content: its lock file and temporary files.
fn is_scratch(name: &str) -> bool {
    name == LOCK_FILE || name.starts_with(TEMP_PREFIX)
}

/// A folder is empty when it holds nothing but regsim's lock file and temporary files.
pub fn is_empty_dir(dir: &Path) -> Result<bool, OutputError> {
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        if !is_scratch(&entry.file_name().to_string_lossy()) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Removes temporary files (`.tmp-*`) in `dir` and its sub-folders regsim writes into:
/// what a killed command left. Called with the folder's lock held, so no other regsim
/// command is writing them.
pub fn sweep_temp_files(dir: &Path) -> Result<usize, OutputError> {
    let mut removed = 0;
    let subdirs = SUBDIRS.iter().map(|s| dir.join(s));
    for d in std::iter::once(dir.to_path_buf()).chain(subdirs) {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let entry = entry.map_err(io(&d))?;
            let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
            if is_file && entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                std::fs::remove_file(entry.path()).map_err(io(&entry.path()))?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

/// A relative path inside the folder (no `..`, not absolute), as listed in a manifest.
fn inside(dir: &Path, rel: &str) -> Option<PathBuf> {
    let p = Path::new(rel);
    let plain = p.components().all(|c| matches!(c, Component::Normal(_)));
    (plain && !rel.is_empty()).then(|| dir.join(p))
}

/// The files the folder's `manifest.json` lists (none when it is missing or unreadable).
pub fn manifest_files(dir: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(dir.join("manifest.json")) else {
        return Vec::new();
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    json["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_str().map(str::to_string))
        .collect()
}

/// What `--force` removes: the regular files regsim wrote (see the module invariant).
/// Returns how many files were removed.
pub fn remove_owned(dir: &Path) -> Result<usize, OutputError> {
    let mut targets: Vec<PathBuf> = manifest_files(dir)
        .iter()
        .filter_map(|f| inside(dir, f))
        .collect();
    targets.extend(FIXED_FILES.iter().map(|f| dir.join(f)));
    let staged = [
        ("runs", "run-"),
        ("pairs", "pair-"),
        ("against/runs", "run-"),
        ("evals", "eval-"),
    ];
    for (sub, prefix) in staged {
        if let Ok(entries) = std::fs::read_dir(dir.join(sub)) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with(prefix) && name.ends_with(".csv") {
                    targets.push(entry.path());
                }
            }
        }
    }
    let mut removed = sweep_temp_files(dir)?;
    for t in targets {
        let is_file = std::fs::symlink_metadata(&t)
            .map(|m| m.file_type().is_file())
            .unwrap_or(false);
        if is_file {
            std::fs::remove_file(&t).map_err(io(&t))?;
            removed += 1;
        }
    }
    for sub in SUBDIRS {
        // Only an empty folder goes: `remove_dir` fails on one holding a user's file.
        let _ = std::fs::remove_dir(dir.join(sub));
    }
    Ok(removed)
}

/// Adds `files` (relative paths) to the `files` list of the folder's manifest, so `--force`
/// can later remove them. A folder without a readable manifest is left alone.
pub fn record_files(dir: &Path, files: &[String]) -> Result<(), OutputError> {
    let path = dir.join("manifest.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    let Ok(mut json) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Ok(());
    };
    let Some(list) = json.get_mut("files").and_then(|f| f.as_array_mut()) else {
        return Ok(());
    };
    let before = list.len();
    for f in files {
        if !list.iter().any(|x| x.as_str() == Some(f)) {
            list.push(serde_json::Value::String(f.clone()));
        }
    }
    if list.len() == before {
        return Ok(());
    }
    super::write_json(&path, &json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_and_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_dir(dir.path(), "regsim sweep a.toml", true).unwrap();
        let err = lock_dir(dir.path(), "regsim run b.toml", true).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("regsim sweep a.toml"), "{text}");
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        drop(first);
        lock_dir(dir.path(), "regsim run b.toml", true).unwrap();
    }

    #[test]
    fn force_removes_only_what_regsim_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("charts")).unwrap();
        std::fs::create_dir_all(d.join("runs")).unwrap();
        for f in [
            "regions.csv",
            "extra.csv",
            "notes.txt",
            "charts/a.png",
            "charts/mine.png",
            "runs/run-000001.csv",
            "runs/.tmp-x",
        ] {
            std::fs::write(d.join(f), "x").unwrap();
        }
        std::fs::write(
            d.join("manifest.json"),
            r#"{"files": ["extra.csv", "charts/a.png", "../escape", "/etc/passwd"]}"#,
        )
        .unwrap();
        remove_owned(d).unwrap();
        let mut left: Vec<String> = walk(d);
        left.sort();
        assert_eq!(left, vec!["charts/mine.png", "notes.txt"]);
    }

    fn walk(d: &Path) -> Vec<String> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if e.path().is_dir() {
                out.extend(walk(&e.path()).into_iter().map(|f| format!("{name}/{f}")));
            } else {
                out.push(name);
            }
        }
        out
    }

    #[test]
    fn a_dangling_symlink_is_named_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("out");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &link).unwrap();
        let err = lock_dir(&link, "regsim run", true).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        assert!(err.contains("nowhere"), "{err}");
    }
}
