//! A person's row sealed (five fields under the workspace's KEK and five blind indexes) and
//! opened again, and one blind index alone: the cost encryption at rest adds to each write,
//! read and lookup of a person.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use identity::crypto::{Envelope, Keyring};
use identity::db::kek_store::StoredKek;
use identity::db::models::person_fields::{self, PersonFields};
use identity::db::personal_keys::{FieldCipher, PersonalKeys};
use identity::ids::TenantId;
use serde_json::json;
use std::hint::black_box;
use std::sync::Arc;

fn person(c: &mut Criterion) {
    let env = Envelope::new(Keyring::from_keys([(1, [1u8; 32])]));
    let tenant = TenantId::new();
    let kek = StoredKek {
        version: 1,
        wrapped: Some(env.new_kek(tenant, 1)),
    };
    let keys = PersonalKeys::over(Arc::new(env), tenant, Arc::new(vec![kek]));
    let id = uuid::Uuid::new_v4();
    let fields = PersonFields {
        email: "ada.lovelace@example.com".into(),
        display_name: Some("Ada Lovelace".into()),
        user_name: Some("ada.lovelace@example.com".into()),
        external_id: Some("00u1abcdefghijklmnop".into()),
        scim: json!({
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": "ada.lovelace@example.com", "type": "work", "primary": true}],
            "phoneNumbers": [{"value": "+44 20 7946 0000", "type": "work"}],
            "title": "Analyst"
        }),
    };
    c.bench_function("person_seal_row", |b| {
        b.iter(|| person_fields::seal(black_box(&keys), id, black_box(&fields)).unwrap())
    });
    c.bench_function("person_blind_index", |b| {
        b.iter(|| {
            person_fields::email_index(black_box(&keys), black_box("Ada.Lovelace@example.com"))
                .unwrap()
        })
    });
    let sealed = keys
        .seal(
            person_fields::TABLE,
            person_fields::EMAIL,
            &id.to_string(),
            "ada.lovelace@example.com",
        )
        .unwrap();
    c.bench_function("person_open_field", |b| {
        b.iter(|| {
            keys.open(
                person_fields::TABLE,
                person_fields::EMAIL,
                &id.to_string(),
                black_box(&sealed),
            )
            .unwrap()
        })
    });
}

criterion_group!(benches, person);
criterion_main!(benches);
