//! Thin entry point: parse arguments, run, print errors, set the exit code.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    fix_mmap_threshold();
    let parsed = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli::run(parsed) {
        Ok(cli::Outcome::Ok) => ExitCode::SUCCESS,
        Ok(cli::Outcome::ChecksFailed) => ExitCode::from(1),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {}", one_line(&e));
            ExitCode::from(2)
        }
    }
}

/// Fixes glibc's mmap threshold at 1 MiB and its trim threshold at 128 MiB, unless
/// `MALLOC_MMAP_THRESHOLD_` or `GLIBC_TUNABLES` sets the former (`mallopt` would override the
/// tunable, not the variable). By default glibc raises the mmap threshold (up to 32 MiB) each
/// time a large block is freed; after that, freed columns and each month's scratch lists stay
/// in its heap, fragmented, and the process holds memory it no longer uses. With the
/// threshold fixed, every block of 1 MiB or more is mapped on its own and returned on free.
/// Fixing it also stops glibc from raising the trim threshold with it, so the heap's top
/// would be given back and faulted in again at every free (a 5% slower run): the trim
/// threshold is set high instead. Full-scale baseline (`regsim bench --scale 1 --threads
/// 2`, alternated): peak RSS 1,032-1,067 MiB with glibc's defaults, 963-966 MiB with these;
/// wall 17.11-17.30 s against 17.63-17.64 s (the fresh blocks' page faults, in the index
/// build and the reverse index). Small runs are unaffected: their blocks are below 1 MiB.
fn fix_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none()
        && !std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("mmap_threshold"))
    {
        // SAFETY: `mallopt` only changes settings of the allocator, before any thread exists.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 128 << 20);
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The error and its causes on one line, each cause once: library errors often repeat their
/// source in their own message (`file: cannot read: <io error>`), which `{:#}` would print twice.
fn one_line(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}
