//! Library entry of this branch: charts and the HTML report, which read a regsim output folder.
//! The lead merges these two modules into the crate's real `lib.rs`.

pub mod charts;
pub mod report;
