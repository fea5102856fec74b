//! Scenario errors: every message is one line naming the file, the key and what is allowed.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem with one key.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub file: PathBuf,
    pub key: String,
    pub line: Option<usize>,
    pub message: String,
}

impl Problem {
    pub fn new(
        file: &Path,
        key: impl Into<String>,
        line: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        Problem {
            file: file.to_path_buf(),
            key: key.into(),
            line,
            message: message.into(),
        }
    }
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("{}: cannot read: {source}", file.display())]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{}{}: invalid TOML: {message}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Syntax {
        file: PathBuf,
        line: Option<usize>,
        message: String,
    },
    #[error("--set {}: {message}", escape(set))]
    Set { set: String, message: String },
    #[error("{}", ProblemList(problems))]
    Invalid { problems: Vec<Problem> },
}

impl ScenarioError {
    pub fn invalid(file: &Path, key: &str, line: Option<usize>, message: String) -> Self {
        ScenarioError::Invalid {
            problems: vec![Problem::new(file, key, line, message)],
        }
    }
}

/// Line breaks and other control characters in user text, escaped so a message stays on one
/// line (`a\nb`).
pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.into()
}

struct ProblemList<'a>(&'a [Problem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", p.file.display())?;
            if let Some(l) = p.line {
                write!(f, ":{l}")?;
            }
            write!(f, ": key `{}`: {}", escape(&p.key), escape(&p.message))?;
        }
        Ok(())
    }
}
