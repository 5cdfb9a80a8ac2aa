//! The memory's own rules: no use while untrusted, no stale store after a change.

use super::*;

fn tenant() -> TenantId {
    TenantId(uuid::Uuid::from_u128(7))
}

#[test]
fn nothing_is_read_or_stored_while_the_feed_is_not_trusted() {
    let m = Memory::default();
    assert!(m.ticket().is_none());
    m.set_trusted(true);
    let t = m.ticket().expect("trusted");
    m.remember_revoked(t, tenant(), "j1", true);
    assert_eq!(m.revoked(t, tenant(), "j1"), Some(true));
    m.set_trusted(false);
    assert!(m.ticket().is_none());
    // A ticket taken before trust was lost stores nothing.
    m.set_trusted(true);
    m.remember_revoked(t, tenant(), "j2", false);
    let fresh = m.ticket().expect("trusted");
    assert_eq!(m.revoked(fresh, tenant(), "j2"), None);
}

#[test]
fn a_read_that_began_before_an_announcement_is_not_stored() {
    let m = Memory::default();
    m.set_trusted(true);
    let before = m.ticket().expect("trusted");
    let sid = uuid::Uuid::from_u128(9);
    m.apply(&Change::Session(tenant(), sid));
    let far = Utc::now() + chrono::Duration::hours(1);
    m.remember_session(before, tenant(), sid, Some((far, far)));
    let now = m.ticket().expect("trusted");
    assert_eq!(m.session_active(now, tenant(), sid, Utc::now()), None);
    m.remember_session(now, tenant(), sid, Some((far, far)));
    assert_eq!(m.session_active(now, tenant(), sid, Utc::now()), Some(true));
    m.apply(&Change::Session(tenant(), sid));
    assert_eq!(m.session_active(now, tenant(), sid, Utc::now()), None);
}

#[test]
fn a_remembered_idle_expiry_that_passed_is_asked_again() {
    let m = Memory::default();
    m.set_trusted(true);
    let t = m.ticket().expect("trusted");
    let sid = uuid::Uuid::from_u128(3);
    let now = Utc::now();
    m.remember_session(
        t,
        tenant(),
        sid,
        Some((
            now - chrono::Duration::seconds(1),
            now + chrono::Duration::hours(1),
        )),
    );
    assert_eq!(m.session_active(t, tenant(), sid, now), None);
    m.remember_session(t, tenant(), sid, None);
    assert_eq!(m.session_active(t, tenant(), sid, now), Some(false));
}

#[test]
fn announcements_parse_and_junk_does_not() {
    let id = uuid::Uuid::from_u128(5);
    let t = tenant();
    assert_eq!(
        Change::parse(&format!("revoked:{}:abc", t.0)),
        Some(Change::Revoked(t, "abc".into()))
    );
    assert_eq!(
        Change::parse(&format!("client:{}:tc_x:y", t.0)),
        Some(Change::Client(t, "tc_x:y".into()))
    );
    assert_eq!(
        Change::parse(&format!("session:{}:{id}", t.0)),
        Some(Change::Session(t, id))
    );
    assert_eq!(
        Change::parse(&format!("tenant:{}", t.0)),
        Some(Change::Tenant(t))
    );
    assert_eq!(Change::parse("session:nope:1"), None);
    assert_eq!(Change::parse(&format!("other:{}", t.0)), None);
}

#[test]
fn a_full_map_makes_room() {
    let map = GuardedMap::new(2);
    map.insert_if(1, 1, || true);
    map.insert_if(2, 2, || true);
    map.insert_if(3, 3, || true);
    assert_eq!(map.len(), 2);
    assert_eq!(map.get(&3), Some(3));
}
