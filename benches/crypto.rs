//! Envelope seal and open of a 32-byte secret (a TOTP seed's size).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use identity::crypto::{Envelope, Keyring, SecretContext};
use identity::ids::TenantId;
use std::hint::black_box;

fn envelope(c: &mut Criterion) {
    let env = Envelope::new(Keyring::from_keys([(1, [1u8; 32]), (2, [2u8; 32])]));
    let ctx = SecretContext {
        tenant: TenantId::new(),
        table: "tenant_secrets",
        column: "value_enc",
        row: "totp_seed",
    };
    let secret = [42u8; 32];
    let stored = env.seal(&ctx, &secret);
    c.bench_function("envelope_seal_32B", |b| {
        b.iter(|| env.seal(black_box(&ctx), black_box(&secret)))
    });
    c.bench_function("envelope_open_32B", |b| {
        b.iter(|| env.open(black_box(&ctx), black_box(&stored)).unwrap())
    });
    let old = Envelope::new(Keyring::from_keys([(1, [1u8; 32])])).seal(&ctx, &secret);
    c.bench_function("envelope_rewrap_32B", |b| {
        b.iter(|| env.rewrap(black_box(&ctx), black_box(&old)).unwrap())
    });
}

criterion_group!(benches, envelope);
criterion_main!(benches);
