//! An effect's OpenFX parameters, defined from its operation's parameter
//! table ([`retake_core::params`]): id, label, help, default, limits,
//! slider range and animation come from the description the CLI and job
//! files read, and menus are read back as the values they stand for.

use retake_core::params::{Faces, Kind, Param, Table};

use crate::effect::Context;
use crate::host::{c_text, PResult, PluginError};
use crate::models;
use crate::params::{ParamDefs, ParamValues};

/// The menu value of the Mask input, offered only in the general context.
const MASK_INPUT: &str = "mask-input";

/// A text with its parameter mentions written as the host shows them.
pub fn in_host_words(table: &Table, text: &str) -> String {
    table.render(text, |p| format!("\"{}\"", p.label))
}

/// The options a menu shows in `context`: `(value, label)`, an unset
/// entry first where the table has one (value `""`).
pub fn menu(p: &Param, context: Context) -> Vec<(&'static str, String)> {
    match p.kind {
        Kind::Choice { options, unset, .. } => unset
            .map(|label| ("", label.to_string()))
            .into_iter()
            .chain(
                options
                    .iter()
                    .filter(|o| context == Context::General || o.value != MASK_INPUT)
                    .map(|o| (o.value, o.label.to_string())),
            )
            .collect(),
        _ => Vec::new(),
    }
}

/// Defines every OpenFX parameter of `table`, in the table's order.
pub fn define(d: &ParamDefs, table: &Table, context: Context) -> PResult<()> {
    for p in table.on(Faces::OFX) {
        define_one(d, table, p, context)?;
    }
    Ok(())
}

fn define_one(d: &ParamDefs, table: &Table, p: &Param, context: Context) -> PResult<()> {
    let id = c_text(p.id);
    let hint = in_host_words(table, p.help);
    match p.kind {
        Kind::Float {
            default,
            min,
            max,
            slider,
            angle: true,
            ..
        } => {
            d.angle(&id, p.label, &hint, default, (min, max), slider)?;
        }
        Kind::Float {
            default,
            min,
            max,
            slider,
            ..
        } => {
            d.double(&id, p.label, &hint, default, (min, max), slider, p.animates)?;
        }
        Kind::Int { default, min, max } => {
            d.int(
                &id,
                p.label,
                &hint,
                default as i32,
                (min as i32, max as i32),
                p.animates,
            )?;
        }
        Kind::Bool { default } => {
            d.boolean(&id, p.label, &hint, default)?;
        }
        Kind::Choice { default, .. } => {
            let options = menu(p, context);
            let index = default
                .and_then(|v| options.iter().position(|(value, _)| *value == v))
                .unwrap_or(0);
            let labels: Vec<String> = options.into_iter().map(|(_, l)| l).collect();
            d.choice(&id, p.label, &hint, &labels, index)?;
        }
        Kind::Model {
            role,
            default,
            builtins,
        } => {
            let mut names: Vec<String> = builtins.iter().map(|b| b.to_string()).collect();
            names.extend(models::installed(role));
            if names.is_empty() {
                names.push(default.to_string());
            }
            let index = names.iter().position(|n| n == default).unwrap_or(0);
            d.choice(&id, p.label, &models::menu_hint(role, &hint), &names, index)?;
        }
        Kind::Colour => {
            d.rgb(&id, p.label, &hint, [1.0; 3])?;
        }
        Kind::Text { .. } => {
            return Err(PluginError::failed(format!(
                "{}: the text parameter `{}` has no OpenFX form",
                table.operation, p.id
            )))
        }
    }
    Ok(())
}

/// The value (as the CLI and job files write it) of the menu `id` at
/// `time`; `None` for the unset entry.
pub fn menu_value(
    v: &ParamValues,
    table: &Table,
    id: &str,
    time: f64,
) -> PResult<Option<&'static str>> {
    let p = table.get(id)?;
    let label = v.choice(&c_text(id), time)?;
    let (unset, options) = match p.kind {
        Kind::Choice { unset, options, .. } => (unset, options),
        _ => {
            return Err(PluginError::failed(format!(
                "parameter `{id}` is not a menu"
            )))
        }
    };
    if unset == Some(label.as_str()) {
        return Ok(None);
    }
    options
        .iter()
        .find(|o| o.label == label)
        .map(|o| Some(o.value))
        .ok_or_else(|| PluginError::failed(format!("\"{}\": unknown option `{label}`", p.label)))
}

/// The menu `id` at `time` as the enum a job file reads it into.
pub fn menu_as<T: serde::de::DeserializeOwned>(
    v: &ParamValues,
    table: &Table,
    id: &str,
    time: f64,
) -> PResult<Option<T>> {
    match menu_value(v, table, id, time)? {
        None => Ok(None),
        Some(value) => serde_json::from_value(serde_json::Value::String(value.into()))
            .map(Some)
            .map_err(|e| PluginError::failed(format!("parameter `{id}`: {e}"))),
    }
}
