//! The SCIM filter and PATCH-path parsers must never panic, whatever the input, and a
//! filter that parses must turn into SQL or a clean error (never a panic).
#![no_main]

use identity::scim::filter::{parse_filter, parse_patch_path};
use identity::scim::query::{condition, Binds};
use identity::scim::schema::Kind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(filter) = parse_filter(text) {
            for kind in [Kind::User, Kind::Group] {
                let _ = condition(kind, &filter, &mut Binds::new(String::new()));
            }
        }
        let _ = parse_patch_path(text);
    }
});
