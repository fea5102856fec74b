//! regsim: an agent-based simulator of Korea's regional economies.
//!
//! Heterogeneous SMEs, startups and investors across the capital region and the 14
//! non-metropolitan regions, stepped monthly under policy scenarios written in TOML.
//! See docs/ARCHITECTURE.md for the code map and docs/ODD.md for the model.

// Region, sector and age-group loops index several parallel fixed-size arrays by the same
// index; iterator zips over four arrays read worse than the index.
#![allow(clippy::needless_range_loop)]

pub mod analysis;
pub mod charts;
pub mod ensemble;
pub mod fastmath;
pub mod labels;
pub mod metrics;
pub mod model;
pub mod output;
pub mod policy;
pub mod report;
pub mod resources;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod step;
pub mod validate;
