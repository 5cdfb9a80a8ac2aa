//! One bcrypt cost-12 check through the service's hasher (pre-hash, blocking pool): the
//! time that bounds sign-in throughput (threads / this time).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use identity::auth::password::PasswordHasher;
use std::time::Duration;

fn password(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let hasher = PasswordHasher::new(1);
    let hash = rt
        .block_on(hasher.hash("correct horse battery staple"))
        .unwrap();
    let mut group = c.benchmark_group("password");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("bcrypt12_verify", |b| {
        b.to_async(&rt).iter(|| async {
            assert!(hasher
                .verify("correct horse battery staple", &hash)
                .await
                .unwrap())
        })
    });
    group.finish();
}

criterion_group!(benches, password);
criterion_main!(benches);
