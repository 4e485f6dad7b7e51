//! Every operation's parameter table against the job-file face (the keys
//! serde takes, the defaults it fills in) and against `validate()` (each
//! limit admits itself and refuses the next value past it).

use retake_core::params::{Described, Faces, Kind, Table};
use retake_core::Error;
use retake_ops::mask::MaskParams;
use retake_ops::remove::RemoveParams;
use retake_ops::track::TrackParams;
use retake_ops3d::reangle::ReangleParams;
use retake_ops3d::relight::RelightParams;

/// Keys a job file needs beyond the defaults for `validate()` to pass.
fn required(table: &Table) -> toml::Table {
    let mut t = toml::Table::new();
    match table.operation {
        "remove" => {
            t.insert("mask".into(), "m.####.png".into());
        }
        "track" => {
            t.insert("keyframes".into(), "0=box:1,1,4,4".into());
        }
        _ => {}
    }
    t
}

/// The keys serde accepts, read from its own "expected one of" list.
fn job_keys<P: Described>() -> Vec<String> {
    let err = match toml::from_str::<P>("not_a_key_of_any_operation = 1") {
        Err(e) => e.to_string(),
        Ok(_) => panic!("{}: an unknown key was accepted", P::TABLE.operation),
    };
    let list = err
        .split("expected")
        .nth(1)
        .unwrap_or_else(|| panic!("no key list in: {err}"));
    let mut keys: Vec<String> = list
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    let aliases: Vec<&str> = P::TABLE.params.iter().filter_map(|p| p.alias).collect();
    keys.retain(|k| !aliases.contains(&k.as_str()));
    keys.sort();
    keys
}

fn walk<P: Described + Default + PartialEq + std::fmt::Debug>(
    validate: fn(&P) -> Result<(), Error>,
) {
    let table = P::TABLE;
    // Job-file keys: exactly the table's job-face ids.
    let mut ids: Vec<String> = table.on(Faces::JOB).map(|p| p.id.to_string()).collect();
    ids.sort();
    assert_eq!(job_keys::<P>(), ids, "{}: job-file keys", table.operation);
    // The table's defaults are the struct's defaults.
    let defaults: P = toml::Value::Table(table.defaults())
        .try_into()
        .unwrap_or_else(|e| panic!("{}: {e}", table.operation));
    assert_eq!(defaults, P::default(), "{}: defaults", table.operation);
    // Each limit admits itself and refuses the next f32 past it.
    let with = |id: &str, v: toml::Value| -> Option<P> {
        let mut t = table.defaults();
        t.extend(required(table));
        t.insert(id.into(), v);
        toml::Value::Table(t).try_into().ok()
    };
    let mut checked = 0;
    for p in table.on(Faces::JOB) {
        let cases: Vec<(toml::Value, bool)> = match p.kind {
            Kind::Float { min, max, .. } => {
                let (lo, hi) = (min as f32, max as f32);
                vec![
                    (toml::Value::Float(lo as f64), true),
                    (toml::Value::Float(hi as f64), true),
                    (toml::Value::Float(lo.next_down() as f64), false),
                    (toml::Value::Float(hi.next_up() as f64), false),
                ]
            }
            Kind::Int { min, max, .. } => vec![
                (toml::Value::Integer(min), true),
                (toml::Value::Integer(max), true),
                (toml::Value::Integer(min - 1), false),
                (toml::Value::Integer(max + 1), false),
            ],
            _ => continue,
        };
        for (value, ok) in cases {
            let shown = value.to_string();
            // A value the field's type cannot hold (-1 for a count) is
            // refused by the job file itself.
            let Some(params) = with(p.id, value) else {
                assert!(
                    !ok,
                    "{}: {} = {shown} does not parse",
                    table.operation, p.id
                );
                continue;
            };
            match (validate(&params), ok) {
                (Ok(()), true) => {}
                (Err(Error::Parameter { name, .. }), false) if name == p.id => {}
                (r, _) => panic!("{}: {} = {shown}: {r:?}", table.operation, p.id),
            }
            checked += 1;
        }
    }
    eprintln!("{}: {checked} limit cases", table.operation);
}

#[test]
fn every_table_matches_job_files_defaults_and_validate() {
    walk::<MaskParams>(MaskParams::validate);
    walk::<RemoveParams>(RemoveParams::validate);
    walk::<RelightParams>(RelightParams::validate);
    walk::<ReangleParams>(ReangleParams::validate);
    walk::<TrackParams>(|p| p.validate().map(|_| ()));
}

#[test]
fn ids_mean_one_thing_in_every_table() {
    // The CLI names a mention by its id alone, so a shared id must be one
    // parameter: same label and kind wherever it appears.
    let tables = retake_ops3d::tables::tables();
    for a in tables {
        for b in tables {
            for p in a.params {
                if let Some(q) = b.params.iter().find(|q| q.id == p.id) {
                    assert_eq!(
                        std::mem::discriminant(&p.kind),
                        std::mem::discriminant(&q.kind),
                        "{} in {} and {}",
                        p.id,
                        a.operation,
                        b.operation
                    );
                }
            }
        }
    }
}

#[test]
fn analysis_keys_follow_only_the_marked_parameters() {
    let table = retake_ops3d::relight_params::TABLE;
    let base = RelightParams::default();
    let lit = RelightParams {
        azimuth: Some(retake_imageops::keyframes::Keyframes::constant(120.0)),
        ..RelightParams::default()
    };
    let wider = RelightParams {
        fov: 70.0,
        ..RelightParams::default()
    };
    let key = |p: &RelightParams| table.analysis_key(p).expect("key");
    assert_eq!(key(&base), key(&lit), "the light does not change geometry");
    assert_ne!(key(&base), key(&wider), "the field of view does");
}
