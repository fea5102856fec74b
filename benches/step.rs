//! Criterion benches of the simulation core: the two firm passes and a whole month, at scales
//! 0.01, 0.1 and 1.0 (one agent per real firm; set REGSIM_BENCH_SCALES=0.01,0.1 to skip the
//! full-scale world, which takes ~0.5 GB and a few seconds to build). `regsim bench` reports
//! the same phases from a whole run.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use regsim::model::{Derived, World, init_world};
use regsim::rng::Streams;
use regsim::scenario::Scenario;
use regsim::step::{Pipeline, ctx, produce, step_month};
use std::hint::black_box;
use std::path::Path;

fn scales() -> Vec<f64> {
    std::env::var("REGSIM_BENCH_SCALES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![0.01, 0.1, 1.0])
}

fn setup(scale: f64) -> (Scenario, Streams, World, Derived) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
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

        // The firm passes mutate the firms; re-running them on evolving state keeps the work
        // per iteration representative (a few exits per month do not change the row count).
        let mut world = world0.clone();
        let context = ctx(&world, &scn, &derived, &streams);
        let mut plan_acc = Vec::new();
        group.bench_function(BenchmarkId::new("plan", firms), |b| {
            b.iter(|| black_box(produce::plan(&mut world.firms, &context, &mut plan_acc)))
        });
        let mut op_acc = Vec::new();
        group.bench_function(BenchmarkId::new("operate", firms), |b| {
            b.iter(|| black_box(produce::operate(&mut world.firms, &context, &mut op_acc)))
        });
        group.bench_function(BenchmarkId::new("step_month", firms), |b| {
            b.iter_batched(
                || (world0.clone(), Pipeline::default()),
                |(mut w, mut pipe)| {
                    step_month(&mut w, &scn, &derived, &streams, &mut pipe);
                    black_box(w.step)
                },
                criterion::BatchSize::LargeInput,
            )
        });
        group.finish();
    }
}

criterion_group!(benches, phases);
criterion_main!(benches);
