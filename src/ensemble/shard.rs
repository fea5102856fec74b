//! Shards: how one ensemble's runs are split between independent processes (the tasks of a
//! Slurm job array, or shells on several machines) that stage into one shared output folder.
//!
//! Shard `K/N` (0-based: `0/N` .. `(N-1)/N`, the numbers of `#SBATCH --array=0-(N-1)`) owns
//! the runs whose id satisfies `id % N == K`. Strided rather than contiguous blocks because run
//! ids follow the design (sweep: `point * replicates + replicate`), and the cost of a run
//! varies with its point (a varied `scale`, horizon or firm count): contiguous blocks would
//! give one task all the expensive points and leave the others idle; a stride gives every task
//! the same mix. Membership needs only the id and `N`, not the design, so any ensemble with
//! run ids (sweep, compare, a future sensitivity design) shards the same way. Staged files are
//! one per run, so no two shards ever write the same file.
//!
//! **Invariant:** no environment reads here: [`Shard::from_slurm`] takes a lookup function,
//! so the caller (the CLI) owns the process environment and tests pass a map.

use std::fmt;

/// One shard of an ensemble: runs with `id % count == index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

/// A `--shard` value or Slurm environment that does not name a shard.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error(
        "--shard {0}: allowed: K/N with N >= 1 and 0 <= K < N (0-based, e.g. 0/4 .. 3/4, as Slurm's --array=0-3)"
    )]
    Bad(String),
    #[error(
        "--shard-from-slurm: {0} is not set; run inside a Slurm job array (sbatch --array=...), or pass --shard K/N"
    )]
    NotInArray(&'static str),
    #[error("--shard-from-slurm: {name}={value}: allowed: a whole number")]
    BadNumber { name: &'static str, value: String },
    #[error(
        "--shard-from-slurm: task {id} of an array of {count} tasks from {min} does not map to a shard 0..{count}; use a contiguous --array=A-B, or --shard K/N"
    )]
    OutOfRange { id: u64, min: u64, count: u64 },
}

impl Shard {
    /// Parses `K/N` (0-based `K`).
    pub fn parse(text: &str) -> Result<Shard, ShardError> {
        let bad = || ShardError::Bad(text.to_string());
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u64 = k.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// The shard of this Slurm array task: `K = SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN`,
    /// `N = SLURM_ARRAY_TASK_COUNT` (so `--array=1-8` works as well as `--array=0-7`). A task
    /// resubmitted alone (`sbatch --array=2`) sees a one-task array and would own every run;
    /// scripts that resubmit single tasks pass `--shard "$SLURM_ARRAY_TASK_ID/N"` instead.
    pub fn from_slurm(var: impl Fn(&str) -> Option<String>) -> Result<Shard, ShardError> {
        let get = |name: &'static str| -> Result<u64, ShardError> {
            let value = var(name).ok_or(ShardError::NotInArray(name))?;
            value.trim().parse().map_err(|_| ShardError::BadNumber {
                name,
                value: value.clone(),
            })
        };
        let id = get("SLURM_ARRAY_TASK_ID")?;
        let count = get("SLURM_ARRAY_TASK_COUNT")?;
        let min = match var("SLURM_ARRAY_TASK_MIN") {
            Some(_) => get("SLURM_ARRAY_TASK_MIN")?,
            None => 0,
        };
        match id.checked_sub(min) {
            Some(index) if index < count => Ok(Shard { index, count }),
            _ => Err(ShardError::OutOfRange { id, min, count }),
        }
    }

    /// Whether run `id` belongs to this shard.
    pub fn owns(&self, id: u64) -> bool {
        id % self.count == self.index
    }

    /// This shard's run ids among `0..runs`, in order.
    pub fn ids(&self, runs: u64) -> impl Iterator<Item = u64> + '_ {
        (self.index..runs).step_by(self.count as usize)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Sorted run ids written compactly in Slurm's array syntax: `3`, `10-19` (consecutive),
/// `2-398:4` (every 4th, as a missing shard of a strided split shows). At most `max_groups`
/// groups are written, then `and N more`.
pub fn compact_ids(ids: &[u64], max_groups: usize) -> String {
    let mut groups: Vec<String> = Vec::new();
    let mut i = 0;
    let mut written = 0;
    while i < ids.len() {
        if groups.len() == max_groups {
            groups.push(format!("and {} more", ids.len() - written));
            break;
        }
        let start = ids[i];
        // The longest arithmetic run from i; a run of two is written as two single ids
        // unless they are consecutive.
        let mut end = i;
        if i + 1 < ids.len() {
            let step = ids[i + 1] - start;
            end = i + 1;
            while end + 1 < ids.len() && ids[end + 1] - ids[end] == step {
                end += 1;
            }
            if end == i + 1 && step != 1 {
                end = i;
            }
        }
        let text = match end - i {
            0 => start.to_string(),
            _ if ids[i + 1] - start == 1 => format!("{start}-{}", ids[end]),
            _ => format!("{start}-{}:{}", ids[end], ids[i + 1] - start),
        };
        groups.push(text);
        written += end - i + 1;
        i = end + 1;
    }
    groups.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn shards_parse_0_based_and_refuse_the_rest() {
        assert_eq!(Shard::parse("0/4"), Ok(Shard { index: 0, count: 4 }));
        assert_eq!(Shard::parse("3/4"), Ok(Shard { index: 3, count: 4 }));
        assert_eq!(Shard::parse("0/1"), Ok(Shard { index: 0, count: 1 }));
        for bad in [
            "0/0", "4/4", "5/4", "garbage", "1", "/4", "1/", "-1/4", "1/4/2", "a/b",
        ] {
            assert_eq!(Shard::parse(bad), Err(ShardError::Bad(bad.into())), "{bad}");
        }
        assert_eq!(Shard::parse("2/4").unwrap().to_string(), "2/4");
    }

    #[test]
    fn every_run_has_exactly_one_shard() {
        for count in 1..7 {
            let mut seen = vec![0u32; 23];
            for index in 0..count {
                let s = Shard { index, count };
                for id in s.ids(23) {
                    assert!(s.owns(id));
                    seen[id as usize] += 1;
                }
                assert_eq!(s.ids(23).count(), (0..23).filter(|&i| s.owns(i)).count());
            }
            assert!(seen.iter().all(|&n| n == 1), "count {count}: {seen:?}");
        }
    }

    #[test]
    fn slurm_tasks_map_to_shards() {
        let env = |pairs: &[(&str, &str)]| {
            let map: BTreeMap<String, String> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            move |k: &str| map.get(k).cloned()
        };
        let id_count = |id, count| {
            env(&[
                ("SLURM_ARRAY_TASK_ID", id),
                ("SLURM_ARRAY_TASK_COUNT", count),
            ])
        };
        assert_eq!(
            Shard::from_slurm(id_count("2", "4")),
            Ok(Shard { index: 2, count: 4 })
        );
        let one_based = env(&[
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ]);
        assert_eq!(
            Shard::from_slurm(one_based),
            Ok(Shard { index: 3, count: 4 })
        );
        assert_eq!(
            Shard::from_slurm(env(&[("SLURM_ARRAY_TASK_COUNT", "4")])),
            Err(ShardError::NotInArray("SLURM_ARRAY_TASK_ID"))
        );
        assert!(matches!(
            Shard::from_slurm(id_count("x", "4")),
            Err(ShardError::BadNumber { .. })
        ));
        assert!(matches!(
            Shard::from_slurm(id_count("6", "4")),
            Err(ShardError::OutOfRange { .. })
        ));
    }

    #[test]
    fn missing_ids_are_written_as_slurm_ranges() {
        assert_eq!(compact_ids(&[], 10), "");
        assert_eq!(compact_ids(&[7], 10), "7");
        assert_eq!(compact_ids(&[3, 4, 5, 6], 10), "3-6");
        assert_eq!(compact_ids(&[3, 9], 10), "3, 9");
        assert_eq!(compact_ids(&[3, 4], 10), "3-4");
        let shard: Vec<u64> = (2..400).step_by(4).collect();
        assert_eq!(compact_ids(&shard, 10), "2-398:4");
        assert_eq!(
            compact_ids(&[0, 1, 2, 10, 20, 30, 31], 10),
            "0-2, 10-30:10, 31"
        );
        assert_eq!(compact_ids(&[1, 5, 20, 22, 30], 10), "1, 5, 20, 22, 30");
        let ids = [1, 5, 9, 20, 22, 24, 30, 31];
        assert_eq!(compact_ids(&ids, 2), "1-9:4, 20-24:2, and 2 more");
    }
}
