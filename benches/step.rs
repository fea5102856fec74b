//! Criterion benches of the simulation core: one whole month and the firm passes, at several
//! scales. `regsim bench` reports the same phases from a full run.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use regsim::model::init_world;
use regsim::rng::Streams;
use regsim::scenario::Scenario;
use regsim::step::{Pipeline, step_month};
use std::hint::black_box;
use std::path::Path;

fn scenario(scale: f64) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    Scenario::load(&path, &[format!("scale={scale}")]).expect("baseline loads")
}

fn whole_month(c: &mut Criterion) {
    let mut group = c.benchmark_group("step_month");
    group.sample_size(10);
    for scale in [0.01, 0.1] {
        let scn = scenario(scale);
        let streams = Streams::new(1);
        let (world0, derived) = init_world(&scn, &streams);
        group.throughput(Throughput::Elements(world0.firms.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(scale), &scale, |b, _| {
            b.iter_batched(
                || (world0.clone(), Pipeline::default()),
                |(mut world, mut pipe)| {
                    step_month(&mut world, &scn, &derived, &streams, &mut pipe);
                    black_box(world.step)
                },
                criterion::BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, whole_month);
criterion_main!(benches);
