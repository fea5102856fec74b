//! `--shard K/N` and `--shard-from-slurm` for `sweep` and `compare`: the flags, and the rules
//! for an ensemble's output folder: a whole run opens it (empty, or `--force`, or `--resume` of
//! the same definition); a shard claims it with the definition once, refuses a folder made by
//! another ensemble, stages only and never assembles.

use anyhow::{Context, Result, bail};
use regsim::ensemble::shard::Shard;
use regsim::output::{create_json_once, prepare_dir, write_json};
use serde_json::Value;
use std::path::Path;
use std::time::Instant;

/// Which shard of the runs this process computes (none: all of them, and assemble).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ShardArgs {
    /// Compute only shard K of N (0-based: the runs with id % N == K), stage them in --out and
    /// stop; `regsim merge DIR` assembles the tables once every shard is done.
    #[arg(long, value_name = "K/N", conflicts_with_all = ["force", "shard_from_slurm"])]
    pub shard: Option<String>,
    /// Like --shard, with K = SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN and
    /// N = SLURM_ARRAY_TASK_COUNT (inside an `sbatch --array` job).
    #[arg(long, conflicts_with = "force")]
    pub shard_from_slurm: bool,
}

impl ShardArgs {
    pub fn resolve(&self) -> Result<Option<Shard>> {
        if self.shard_from_slurm {
            return Ok(Some(Shard::from_slurm(|k| std::env::var(k).ok())?));
        }
        Ok(self.shard.as_deref().map(Shard::parse).transpose()?)
    }

    pub fn is_set(&self) -> bool {
        self.shard.is_some() || self.shard_from_slurm
    }
}

/// A path as an absolute path (for definitions and scripts that outlive the working folder).
pub fn absolute(path: &Path) -> String {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

/// Makes `out` ready for a whole ensemble on one machine (or for `regsim slurm`): with
/// `resume`, checks that it holds the same ensemble; else requires it empty (or `force`) and
/// clears the old staged runs in `staging`. Then writes the definition `file`.
pub fn open_folder(
    out: &Path,
    file: &Path,
    definition: &Value,
    staging: &str,
    what: &str,
    resume: bool,
    force: bool,
) -> Result<()> {
    if resume {
        super::check_definition(out, file, definition, what)?;
    } else {
        prepare_dir(out, force)?;
        let staging = out.join(staging);
        if staging.is_dir() {
            std::fs::remove_dir_all(&staging)
                .with_context(|| format!("{}: cannot clear", staging.display()))?;
        }
    }
    write_json(file, definition)?;
    Ok(())
}

/// Makes `out` a shard's folder: creates it, writes `file` (the ensemble's definition) if no
/// shard has yet (exclusively, so racing shards agree on one), and refuses a folder made by a
/// different ensemble or by something else. Never deletes anything: other shards' runs live
/// there.
pub fn claim_folder(out: &Path, file: &Path, definition: &Value, what: &str) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("{}: cannot create", out.display()))?;
    if !file.exists() {
        // Hidden entries are temporary files (another shard writing the definition).
        let foreign = std::fs::read_dir(out)
            .with_context(|| out.display().to_string())?
            .filter_map(|e| e.ok())
            .any(|e| !e.file_name().to_string_lossy().starts_with('.'));
        if foreign {
            bail!(
                "{}: not empty and has no {}: not a {what} folder; a shard stages only into an empty folder or one made by the same {what}",
                out.display(),
                file.file_name().unwrap_or_default().to_string_lossy()
            );
        }
        if create_json_once(file, definition)? {
            return Ok(());
        }
    }
    super::check_definition(out, file, definition, what)
}

/// The folder lock of an ensemble command: one writer per folder, except that the shards of
/// one ensemble share theirs. They coordinate through the definition file and never remove
/// each other's files, so they take no exclusive lock (taking it would also sweep another
/// shard's in-flight temporary files).
pub fn lock_unless_shard(
    out: &Path,
    shard: Option<Shard>,
) -> Result<Option<regsim::output::DirLock>> {
    match shard {
        None => Ok(Some(super::take_folder(out, true)?)),
        Some(_) => Ok(None),
    }
}

/// What a shard prints when its runs are staged.
pub fn staged_note(out: &Path, shard: Shard, ran: usize, unit: &str, started: Instant) {
    eprintln!(
        "shard {shard}: {ran} {unit} computed and staged in {:.1} s; when every shard is done: regsim merge {}",
        started.elapsed().as_secs_f64(),
        out.display()
    );
}
