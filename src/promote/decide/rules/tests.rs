//! The rules' unit tests.
use super::*;

const D: &str = "pricing/quote";

fn shipped(id: &str, number: &str) -> ShippedVersion {
    ShippedVersion {
        id: Some(id.into()),
        number: Some(number.into()),
    }
}

fn held(versions: &[(&str, &str)]) -> Held {
    Held::Versions(
        versions
            .iter()
            .map(|(id, number)| ServiceVersion {
                id: (*id).into(),
                version: Some((*number).into()),
            })
            .collect(),
    )
}

fn placed(source: &str, id: &str, number: &str) -> Placed {
    Placed {
        source_version_id: Some(source.into()),
        destination: D.into(),
        version_id: id.into(),
        version: Some(number.into()),
    }
}

#[test]
fn an_absent_service_is_added_unless_its_folder_is_missing() {
    let one = [shipped("u1", "1.0.0")];
    let added = service(
        &one,
        &Held::Absent {
            folder_exists: true,
        },
        Mode::Replace,
        D,
        &[],
    );
    assert_eq!(added.action, Action::Add);
    assert_eq!(added.import, [0]);
    let missing = service(
        &one,
        &Held::Absent {
            folder_exists: false,
        },
        Mode::Replace,
        D,
        &[],
    );
    assert_eq!(
        missing.action,
        Action::Fail(Failure::FolderMissing {
            folder: "pricing".into()
        })
    );
}

#[test]
fn a_replace_is_unchanged_only_with_exactly_the_shipped_versions() {
    let two = [shipped("u1", "1.0.0"), shipped("u2", "1.1.0")];
    let exact = service(
        &two,
        &held(&[("u1", "1.0.0"), ("u2", "1.1.0")]),
        Mode::Replace,
        D,
        &[],
    );
    assert_eq!(exact.action, Action::Unchanged);
    assert!(exact.import.is_empty());
    let extra = service(
        &two,
        &held(&[("u1", "1.0.0"), ("u2", "1.1.0"), ("hand", "1.2.0")]),
        Mode::Replace,
        D,
        &[],
    );
    assert_eq!(extra.action, Action::Replace);
    assert_eq!(extra.import, [0, 1]);
    // An id at another number is not the promoted version where the import keeps numbers.
    let renumbered = service(&two[..1], &held(&[("u1", "1.3.0")]), Mode::Replace, D, &[]);
    assert_eq!(renumbered.action, Action::Replace);
}

#[test]
fn a_replace_that_kept_the_destination_ids_is_unchanged_by_its_record() {
    // prod's own 1.0.0 (id p1) was replaced with uat's u1: Spark kept p1 for the overlapping number.
    let one = [shipped("u1", "1.0.0")];
    let state = held(&[("p1", "1.0.0")]);
    assert_eq!(
        service(&one, &state, Mode::Replace, D, &[]).action,
        Action::Replace
    );
    let record = [placed("u1", "p1", "1.0.0")];
    let verdict = service(&one, &state, Mode::Replace, D, &[(0, &record)]);
    assert_eq!(verdict.action, Action::Unchanged);
    assert!(matches!(
        verdict.versions[0].1,
        Presence::Present {
            by: Evidence::Record(0),
            ..
        }
    ));
    // A record of another place proves nothing here.
    let elsewhere = [Placed {
        destination: "pricing/other".into(),
        ..placed("u1", "p1", "1.0.0")
    }];
    assert_eq!(
        service(&one, &state, Mode::Replace, D, &[(0, &elsewhere)]).action,
        Action::Replace
    );
}

#[test]
fn copy_leaves_out_what_is_there_and_fails_only_on_a_taken_number() {
    let two = [shipped("u1", "2.0.0"), shipped("u2", "2.1.0")];
    let partly = service(&two, &held(&[("u1", "2.0.0")]), Mode::Copy, D, &[]);
    assert_eq!(partly.action, Action::Update);
    assert_eq!(partly.import, [1]);
    assert_eq!(partly.next, ["2.1.0"]);
    let all = service(
        &two,
        &held(&[("u1", "2.0.0"), ("u2", "2.1.0")]),
        Mode::Copy,
        D,
        &[],
    );
    assert_eq!(all.action, Action::Unchanged);
    let taken = service(
        &two,
        &held(&[("u1", "2.0.0"), ("p9", "2.1.0")]),
        Mode::Copy,
        D,
        &[],
    );
    assert_eq!(
        taken.action,
        Action::Fail(Failure::CopyOntoTaken {
            number: "2.1.0".into()
        })
    );
}

#[test]
fn abort_is_unchanged_when_everything_is_there_and_fails_otherwise() {
    let one = [shipped("u1", "1.0.0")];
    assert_eq!(
        service(&one, &held(&[("u1", "1.0.0")]), Mode::Abort, D, &[]).action,
        Action::Unchanged
    );
    assert_eq!(
        service(&one, &held(&[("p1", "1.0.0")]), Mode::Abort, D, &[]).action,
        Action::Fail(Failure::ExistsAbort)
    );
}

#[test]
fn a_bump_adds_what_is_newer_and_puts_the_newest_back_on_top() {
    let minor = Mode::Bump(Bump::Minor);
    let two = [shipped("u1", "1.0.0"), shipped("u2", "1.1.0")];
    // u1 promoted as 1.3.0; u2 is new: only u2 is added, as 1.4.0.
    let newer = service(
        &two,
        &held(&[("p", "1.2.0"), ("u1", "1.3.0")]),
        minor,
        D,
        &[],
    );
    assert_eq!(newer.action, Action::Update);
    assert_eq!(newer.import, [1]);
    assert_eq!(newer.next, ["1.4.0"]);
    // Both there, u2 on top: unchanged.
    let same = service(
        &two,
        &held(&[("u1", "1.3.0"), ("u2", "1.4.0")]),
        minor,
        D,
        &[],
    );
    assert_eq!(same.action, Action::Unchanged);
    // A version put above what was promoted: the newest goes on top again.
    let covered = service(
        &two,
        &held(&[("u1", "1.3.0"), ("u2", "1.4.0"), ("hand", "1.5.0")]),
        minor,
        D,
        &[],
    );
    assert_eq!(covered.import, [1]);
    assert_eq!(covered.next, ["1.6.0"]);
    // An older version deleted below: said, not re-added.
    let below = service(&two, &held(&[("u2", "1.4.0")]), minor, D, &[]);
    assert_eq!(below.action, Action::Unchanged);
    assert_eq!(below.missing_below, [shipped("u1", "1.0.0")]);
}

#[test]
fn unknown_versions_decide_by_the_mode_alone() {
    let unknown = [ShippedVersion {
        id: None,
        number: None,
    }];
    let state = held(&[("p", "1.0.0")]);
    assert_eq!(
        service(&unknown, &state, Mode::Replace, D, &[]).action,
        Action::Replace
    );
    assert_eq!(
        service(&unknown, &state, Mode::Abort, D, &[]).action,
        Action::Fail(Failure::ExistsAbort)
    );
    let update = service(&unknown, &state, Mode::Bump(Bump::Minor), D, &[]);
    assert_eq!(update.action, Action::Update);
    assert_eq!(update.next, ["1.1.0"]);
}

#[test]
fn a_backup_put_back_on_top_goes_whole_unless_its_own_record_shows_it_on_top() {
    let on_top = Mode::Bump(Bump::Patch).restoring();
    let backup = [shipped("p1", "1.0.0"), shipped("p2", "1.1.0")];
    // A replace kept both ids (with other content): the ids prove nothing, the whole backup goes on top.
    let replaced = held(&[("p1", "1.0.0"), ("p2", "1.1.0"), ("u3", "1.2.0")]);
    let verdict = service(&backup, &replaced, on_top, D, &[]);
    assert_eq!(verdict.action, Action::Update);
    assert_eq!(verdict.import, [0, 1]);
    assert_eq!(verdict.next, ["1.2.1", "1.2.2"]);
    // After it: its record placed both, the newest on top.
    let after = held(&[
        ("p1", "1.0.0"),
        ("p2", "1.1.0"),
        ("u3", "1.2.0"),
        ("n1", "1.2.1"),
        ("n2", "1.2.2"),
    ]);
    let placements = [placed("p1", "n1", "1.2.1"), placed("p2", "n2", "1.2.2")];
    let claims: [(usize, &[Placed]); 1] = [(0, &placements)];
    assert_eq!(
        service(&backup, &after, on_top, D, &claims).action,
        Action::Unchanged
    );
    // Something put above it since: on top again, whole.
    let mut above = after.clone();
    if let Held::Versions(versions) = &mut above {
        versions.push(ServiceVersion {
            id: "u4".into(),
            version: Some("1.3.0".into()),
        });
    }
    let again = service(&backup, &above, on_top, D, &claims);
    assert_eq!(again.import, [0, 1]);
    assert!(!on_top.trusts_ids() && Mode::Bump(Bump::Patch).trusts_ids());
}

#[test]
fn an_exact_restore_is_shown_done_only_by_its_own_record() {
    let restore = Mode::Replace.restoring();
    assert_eq!(restore, Mode::Restore);
    let backup = [shipped("p1", "1.0.0")];
    // A replace over the same number kept the id (with other content): the restore still runs.
    let same_ids = held(&[("p1", "1.0.0")]);
    assert_eq!(
        service(&backup, &same_ids, restore, D, &[]).action,
        Action::Replace
    );
    assert_eq!(
        service(&backup, &same_ids, Mode::Replace, D, &[]).action,
        Action::Unchanged
    );
    // The rollback's record placed it there: done.
    let placements = [placed("p1", "p1", "1.0.0")];
    let claims: [(usize, &[Placed]); 1] = [(0, &placements)];
    assert_eq!(
        service(&backup, &same_ids, restore, D, &claims).action,
        Action::Unchanged
    );
}
