//! Criterion benches of the simulation core: every phase (the two firm passes, startups,
//! invest, enter, the policy phase in a January of the work plan) and a whole month, at scales
//! 0.01, 0.1 and 1.0 (one agent per real firm; set REGSIM_BENCH_SCALES=0.01,0.1 to skip the
//! full-scale world, which takes ~0.5 GB and a few seconds to build). `regsim bench` reports
//! the same phases from a whole run.

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use regsim::model::geo::N_REGIONS;
use regsim::model::{Derived, World, init_world};
use regsim::policy::apply;
use regsim::rng::Streams;
use regsim::scenario::Scenario;
use regsim::step::{Pipeline, ctx, enter, invest, produce, startups, step_month};
use std::hint::black_box;
use std::path::Path;

fn scales() -> Vec<f64> {
    std::env::var("REGSIM_BENCH_SCALES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![0.01, 0.1, 1.0])
}

fn setup(scale: f64) -> (Scenario, Streams, World, Derived) {
    setup_file("baseline", scale)
}

fn setup_file(name: &str, scale: f64) -> (Scenario, Streams, World, Derived) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.toml"));
    let scn = Scenario::load(&path, &[format!("scale={scale}")]).expect("baseline loads");
    let streams = Streams::new(1);
    let (world, derived) = init_world(&scn, &streams);
    (scn, streams, world, derived)
}

fn phases(c: &mut Criterion) {
    for scale in scales() {
        let (scn, streams, world0, derived) = setup(scale);
        let firms = world0.firms.len() as u64;
        let mut group = c.benchmark_group(format!("scale_{scale}"));
        group
            .sample_size(10)
            .throughput(Throughput::Elements(firms));

        // Every phase runs on a fresh copy of the start world (or of the world after `plan`),
        // made and dropped outside the timing, with spare capacity so that births do not time
        // a reallocation of every column (a real run grows its columns amortised).
        let fresh = |w: &World| {
            let mut w = w.clone();
            w.firms.reserve(w.firms.len() / 10);
            w.startups.reserve(w.startups.len() + 1000);
            w
        };
        let context = ctx(&world0, &scn, &derived, &streams);
        let mut plan_acc = Vec::new();
        let mut planned = world0.clone();
        produce::plan(&mut planned.firms, &context, &mut plan_acc);
        group.bench_function(BenchmarkId::new("plan", firms), |b| {
            b.iter_batched_ref(
                || fresh(&world0),
                |w| black_box(produce::plan(&mut w.firms, &context, &mut plan_acc)),
                BatchSize::LargeInput,
            )
        });
        let mut op_acc = Vec::new();
        group.bench_function(BenchmarkId::new("operate", firms), |b| {
            b.iter_batched_ref(
                || fresh(&planned),
                |w| black_box(produce::operate(&mut w.firms, &context, &mut op_acc)),
                BatchSize::LargeInput,
            )
        });
        let mut seekers = Vec::new();
        group.bench_function(BenchmarkId::new("startups", firms), |b| {
            b.iter_batched_ref(
                || fresh(&world0),
                |w| black_box(startups::progress(w, &context, true, &mut seekers)),
                BatchSize::LargeInput,
            )
        });
        let free = [1e9f64; N_REGIONS];
        let mut scratch = invest::InvestScratch::default();
        // Invest screens the seekers that the month's `startups::progress` listed.
        group.bench_function(BenchmarkId::new("invest", firms), |b| {
            b.iter_batched_ref(
                || {
                    let mut w = fresh(&world0);
                    let mut listed = Vec::new();
                    startups::progress(&mut w, &context, true, &mut listed);
                    (w, free, listed)
                },
                |(w, f, listed)| {
                    scratch.seekers.clone_from(listed);
                    black_box(invest::invest(w, &context, &mut scratch, f))
                },
                BatchSize::LargeInput,
            )
        });
        group.bench_function(BenchmarkId::new("enter", firms), |b| {
            b.iter_batched_ref(
                || (fresh(&world0), free),
                |(w, f)| black_box(enter::enter(w, &context, f, None)),
                BatchSize::LargeInput,
            )
        });
        // The policy phase in a January of the 2026 work plan (budgets, selections).
        let (wp, wp_streams, wp_world, wp_derived) = setup_file("work-plan-2026", scale);
        group.bench_function(BenchmarkId::new("policy_january", firms), |b| {
            b.iter_batched_ref(
                || {
                    let mut w = fresh(&wp_world);
                    w.step = 12; // January 2026
                    w
                },
                |w| {
                    apply::begin_month(w, &wp, &wp_derived, &wp_streams);
                    black_box(w.step)
                },
                BatchSize::LargeInput,
            )
        });
        group.bench_function(BenchmarkId::new("step_month", firms), |b| {
            b.iter_batched_ref(
                || (fresh(&world0), Pipeline::default()),
                |(w, pipe)| {
                    step_month(w, &scn, &derived, &streams, pipe);
                    black_box(w.step)
                },
                BatchSize::LargeInput,
            )
        });
        group.finish();
    }
}

criterion_group!(benches, phases);
criterion_main!(benches);
