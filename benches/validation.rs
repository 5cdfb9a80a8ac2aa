//! In-process access token validation per algorithm (signature, claims, key lookup), the
//! same token answered from the verified-token memory, and signing for comparison.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use identity::crypto::{Envelope, Keyring};
use identity::db::models::signing_keys::SigningKeyRow;
use identity::jwt::claims::{AccessClaims, ACCESS_TOKEN_TYP};
use identity::jwt::keys::generate;
use identity::jwt::keyset::{private_context, KeySet};
use identity::jwt::validate::{access_token, Expect};
use identity::jwt::verified::VerifiedTokens;
use identity::jwt::{sign::sign, Alg};
use std::collections::HashMap;
use std::hint::black_box;

fn validation(c: &mut Criterion) {
    let env = Envelope::new(Keyring::from_keys([(1, [3u8; 32])]));
    let now = Utc::now();
    let rows: Vec<SigningKeyRow> = Alg::ALL
        .iter()
        .map(|alg| {
            let k = generate(*alg).unwrap();
            SigningKeyRow {
                private_enc: env.seal(&private_context(&k.kid), &k.pkcs8),
                kid: k.kid,
                alg: alg.as_str().into(),
                public_jwk: k.public_jwk,
                created_at: now,
                activates_at: now - Duration::seconds(1),
                revoked_at: None,
            }
        })
        .collect();
    let set = KeySet::build(rows, &env, Duration::hours(1), &HashMap::new()).unwrap();
    let expect = Expect {
        issuer: "https://id.example",
        audience: Some("https://api.example"),
        typ: ACCESS_TOKEN_TYP,
        leeway_secs: 30,
    };
    for alg in Alg::ALL {
        let signer = set.signer(alg, now).unwrap();
        let t = now.timestamp();
        let claims = AccessClaims {
            iss: "https://id.example".into(),
            sub: "svc".into(),
            aud: "https://api.example".into(),
            exp: t + 900,
            iat: t,
            nbf: t,
            jti: "j".into(),
            client_id: "svc".into(),
            scope: "crm.read".into(),
            tid: None,
            roles: None,
            sid: None,
            amr: None,
            acr: None,
        };
        let token = sign(&signer, ACCESS_TOKEN_TYP, &claims).unwrap();
        assert!(access_token(&set, &token, &expect, now).is_ok());
        c.bench_function(&format!("validate_access_token_{alg}"), |b| {
            b.iter(|| access_token(black_box(&set), black_box(&token), &expect, now).unwrap())
        });
        // A token checked before: the verified-token memory answers (SHA-256 and a lookup).
        let verified = VerifiedTokens::default();
        let kid = jsonwebtoken::decode_header(&token).unwrap().kid.unwrap();
        verified.put(&token, claims.clone(), kid, now);
        assert!(verified.get(&token, &set, &expect, now).is_some());
        c.bench_function(&format!("validate_access_token_remembered_{alg}"), |b| {
            b.iter(|| {
                verified
                    .get(black_box(&token), black_box(&set), &expect, now)
                    .unwrap()
            })
        });
        c.bench_function(&format!("sign_access_token_{alg}"), |b| {
            b.iter(|| sign(black_box(&signer), ACCESS_TOKEN_TYP, black_box(&claims)).unwrap())
        });
    }
}

criterion_group!(benches, validation);
criterion_main!(benches);
