//! Bad scenario files and arguments are rejected with one-line errors naming the file, the
//! key and what is allowed, and exit code 2; never a panic.

use super::{baseline_path, regsim, stderr};
use regsim::scenario::Scenario;
use std::path::Path;

/// Writes the baseline with one line replaced (or appended) and returns the error text.
fn error_for(edit: impl Fn(String) -> String) -> (String, std::path::PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    let text = std::fs::read_to_string(baseline_path()).unwrap();
    std::fs::write(&path, edit(text)).unwrap();
    let err = Scenario::load(&path, &[])
        .expect_err("must be rejected")
        .to_string();
    (err, path, dir)
}

#[test]
fn unknown_key_names_file_line_and_key() {
    let (err, path, _d) = error_for(|t| t.replace("exit_loss_months = 6", "exit_loss_month = 6"));
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("firms.exit_loss_month"), "{err}");
    assert!(err.contains("unknown field"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // The line number points at the offending line.
    let line = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .position(|l| l.starts_with("exit_loss_month ="))
        .unwrap()
        + 1;
    assert!(err.contains(&format!(":{line}:")), "{err}");
}

#[test]
fn wrong_type_is_rejected() {
    let (err, _, _d) =
        error_for(|t| t.replace("one_person_share = 0.765", "one_person_share = \"most\""));
    assert!(err.contains("firms.one_person_share"), "{err}");
    assert!(err.contains("invalid type"), "{err}");
}

#[test]
fn unknown_region_and_sector_list_what_is_allowed() {
    let (err, _, _d) = error_for(|t| t.replace("[regions.jeju]", "[regions.seoul]"));
    assert!(err.contains("unknown region `seoul`"), "{err}");
    assert!(err.contains("allowed: capital, busan"), "{err}");
    assert!(err.contains("missing region `jeju`"), "{err}");
    let (err, _, _d) = error_for(|t| t.replacen("k_beauty = 0.04", "kbeauty = 0.04", 1));
    assert!(err.contains("unknown sector `kbeauty`"), "{err}");
}

#[test]
fn out_of_range_values_are_all_reported_at_once() {
    let (err, _, _d) = error_for(|t| {
        t.replace("one_person_share = 0.765", "one_person_share = 1.5")
            .replace("total_smes = 8298915", "total_smes = -5")
            .replace("scale = 0.01 ", "scale = 2 ")
    });
    assert_eq!(err.lines().count(), 3, "{err}");
    assert!(
        err.contains(
            "firms.one_person_share`: 1.5 is out of range; allowed: a share between 0 and 1"
        ),
        "{err}"
    );
    assert!(
        err.contains("firms.total_smes`: -5 is out of range; allowed: a number > 0"),
        "{err}"
    );
    assert!(err.contains("`scale`: 2 is out of range"), "{err}");
}

#[test]
fn syntax_errors_name_the_line() {
    let (err, path, _d) = error_for(|t| format!("{t}\n[broken\n"));
    assert!(err.starts_with(&path.display().to_string()), "{err}");
    assert!(err.contains("invalid TOML"), "{err}");
}

#[test]
fn set_overrides_are_validated_like_the_file() {
    let base = baseline_path();
    let ok = Scenario::load(&base, &["firms.entry_profit_elasticity=0.2".into()]).unwrap();
    assert_eq!(ok.firms.entry_profit_elasticity, 0.2);
    let err = Scenario::load(&base, &["firms.entry_profit_elasticity=-1".into()]).unwrap_err();
    assert!(
        err.to_string().contains("firms.entry_profit_elasticity"),
        "{err}"
    );
    let err = Scenario::load(&base, &["firms.nope=1".into()]).unwrap_err();
    assert!(err.to_string().contains("unknown field `nope`"), "{err}");
    let err = Scenario::load(&base, &["nonsense".into()]).unwrap_err();
    assert!(err.to_string().starts_with("--set nonsense:"), "{err}");
}

#[test]
fn extends_merges_and_child_overrides() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(baseline_path(), dir.path().join("baseline.toml")).unwrap();
    let child = dir.path().join("child.toml");
    std::fs::write(
        &child,
        "extends = \"baseline.toml\"\nname = \"child\"\n[firms]\nentry_profit_elasticity = 0.2\n",
    )
    .unwrap();
    let s = Scenario::load(&child, &[]).unwrap();
    assert_eq!(s.name, "child");
    assert_eq!(s.firms.entry_profit_elasticity, 0.2);
    assert_eq!(s.firms.one_person_share, 0.765);
    // A cycle is an error, not a stack overflow.
    std::fs::write(dir.path().join("a.toml"), "extends = \"b.toml\"\n").unwrap();
    std::fs::write(dir.path().join("b.toml"), "extends = \"a.toml\"\n").unwrap();
    let err = Scenario::load(&dir.path().join("a.toml"), &[]).unwrap_err();
    assert!(err.to_string().contains("extends"), "{err}");
}

#[test]
fn cli_errors_exit_2_with_one_line() {
    let o = regsim(&["run", "/nonexistent/x.toml", "--no-charts"], &[]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(e.contains("/nonexistent/x.toml: cannot read"), "{e}");
    // The OS's reason is said once, not repeated by the cause chain.
    assert_eq!(e.matches("No such file or directory").count(), 1, "{e}");

    let scn = baseline_path();
    let o = regsim(
        &[
            "run",
            scn.to_str().unwrap(),
            "--set",
            "firms.one_person_share=2",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("firms.one_person_share"),
        "{}",
        stderr(&o)
    );

    let o = regsim(&["run", scn.to_str().unwrap(), "--threads", "abc"], &[]);
    assert_eq!(o.status.code(), Some(2));
    let o = regsim(
        &[
            "run",
            scn.to_str().unwrap(),
            "--threads",
            "0",
            "--out",
            "/tmp/regsim-never",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("'0' for '--threads") && stderr(&o).contains("from 1 to 256"),
        "{}",
        stderr(&o)
    );
    assert!(!Path::new("/tmp/regsim-never/regions.csv").exists());
}
