//! One description per operation parameter. Each operation keeps a
//! [`Table`] (in `<op>_params.rs`) and every face derives from it: the CLI
//! builds its flags and help, job files take its ids as keys, `validate()`
//! reads its limits, the OpenFX plugin defines its parameters and cache keys
//! from it. Nothing here knows a face's syntax: a face names a parameter
//! its own way (`--edge-radius`, `edge_radius = 6`, "Edge radius").
//!
//! Texts (help, error messages) mention other parameters as `[[id]]`;
//! [`render_mentions`] lets each face write the name its users see.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::role::Role;

/// Which faces show a parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Faces(u8);

impl Faces {
    /// A `retake` flag.
    pub const CLI: Faces = Faces(1);
    /// A key of the operation's job-file table.
    pub const JOB: Faces = Faces(2);
    /// An OpenFX parameter.
    pub const OFX: Faces = Faces(4);
    /// CLI flag and job-file key (things the plugin gets from its inputs).
    pub const BATCH: Faces = Faces(1 | 2);
    pub const ALL: Faces = Faces(1 | 2 | 4);

    pub const fn has(self, face: Faces) -> bool {
        self.0 & face.0 == face.0
    }
}

/// One option of a menu: the value the CLI and job files write, the label
/// the plugin shows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
}

/// A parameter's type, default and limits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// A real number. `min..=max` are hard limits (`validate()` and the
    /// host's range), `slider` the range a host's slider shows.
    /// `optional`: unset on the CLI and in job files means "from the
    /// preset or a named move", and `default` is what the plugin starts
    /// at. `keyed`: the CLI and job files take `frame:value` keys.
    Float {
        default: f64,
        min: f64,
        max: f64,
        slider: (f64, f64),
        optional: bool,
        keyed: bool,
        /// An angle in degrees (hosts may show a dial).
        angle: bool,
    },
    /// A whole number within `min..=max`.
    Int { default: i64, min: i64, max: i64 },
    /// On or off; off by default on the CLI (a flag).
    Bool { default: bool },
    /// One of fixed options; `None` as default: unset on the CLI and in
    /// job files (from the preset). `unset`: the plugin's label for a
    /// first entry meaning unset; without it the plugin starts at the
    /// first option.
    Choice {
        default: Option<&'static str>,
        options: &'static [Choice],
        unset: Option<&'static str>,
    },
    /// A model of `role` or one of `builtins`: free text on the CLI and in
    /// job files (a name or a manifest path), a menu of the built-in
    /// options and the installed models in the plugin.
    Model {
        role: Role,
        default: &'static str,
        builtins: &'static [&'static str],
    },
    /// Text (a file, a list); `repeat`: the flag may be given many times
    /// (a list in job files).
    Text {
        value_name: &'static str,
        repeat: bool,
    },
    /// A linear RGB triple, `r,g,b`; unset by default.
    Colour,
}

impl Kind {
    /// A number within `min..=max`, slider over the same range.
    pub const fn float(default: f64, min: f64, max: f64) -> Kind {
        Kind::Float {
            default,
            min,
            max,
            slider: (min, max),
            optional: false,
            keyed: false,
            angle: false,
        }
    }

    /// A number the CLI and job files take as one value or `frame:value`
    /// keys, unset by default (the preset's or the move's value).
    pub const fn keyed(default: f64, min: f64, max: f64) -> Kind {
        match Kind::float(default, min, max) {
            Kind::Float { slider, .. } => Kind::Float {
                default,
                min,
                max,
                slider,
                optional: true,
                keyed: true,
                angle: false,
            },
            other => other,
        }
    }

    /// The same number with a host slider over `from..=to`.
    pub const fn slider(self, from: f64, to: f64) -> Kind {
        match self {
            Kind::Float {
                default,
                min,
                max,
                optional,
                keyed,
                angle,
                ..
            } => Kind::Float {
                default,
                min,
                max,
                slider: (from, to),
                optional,
                keyed,
                angle,
            },
            other => other,
        }
    }

    /// The same number, an angle in degrees.
    pub const fn angle(self) -> Kind {
        match self {
            Kind::Float {
                default,
                min,
                max,
                slider,
                optional,
                keyed,
                ..
            } => Kind::Float {
                default,
                min,
                max,
                slider,
                optional,
                keyed,
                angle: true,
            },
            other => other,
        }
    }
}

/// One parameter of an operation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Param {
    /// The OpenFX id and job-file key; the CLI flag is the id with `-` for
    /// `_`. Never changes once released (saved host projects use it).
    pub id: &'static str,
    /// What the plugin shows.
    pub label: &'static str,
    /// One help text for every face (mentions as `[[id]]`).
    pub help: &'static str,
    pub kind: Kind,
    /// Written after values in messages (`°`, ` px`, ` frames`).
    pub unit: &'static str,
    /// Whether the value may change over the shot (OpenFX animation).
    pub animates: bool,
    pub faces: Faces,
    /// Another spelling the CLI and job files accept (`color`).
    pub alias: Option<&'static str>,
    /// A frame's analysis depends on it: the plugin keeps analysed frames
    /// while only other parameters change (an animated light does not
    /// re-estimate geometry).
    pub analysed: bool,
}

impl Param {
    /// A parameter on every face, not animated, with no unit or alias.
    pub const fn new(
        id: &'static str,
        label: &'static str,
        help: &'static str,
        kind: Kind,
    ) -> Self {
        Param {
            id,
            label,
            help,
            kind,
            unit: "",
            animates: false,
            faces: Faces::ALL,
            alias: None,
            analysed: false,
        }
    }

    pub const fn analysed(mut self) -> Self {
        self.analysed = true;
        self
    }

    pub const fn unit(mut self, unit: &'static str) -> Self {
        self.unit = unit;
        self
    }

    pub const fn animates(mut self) -> Self {
        self.animates = true;
        self
    }

    pub const fn faces(mut self, faces: Faces) -> Self {
        self.faces = faces;
        self
    }

    pub const fn alias(mut self, alias: &'static str) -> Self {
        self.alias = Some(alias);
        self
    }

    /// The hard limits of a number, if it is one.
    pub fn limits(&self) -> Option<(f64, f64)> {
        match self.kind {
            Kind::Float { min, max, .. } => Some((min, max)),
            Kind::Int { min, max, .. } => Some((min as f64, max as f64)),
            _ => None,
        }
    }

    /// `v` within the hard limits, else a parameter error naming this
    /// parameter. NaN is outside. Real numbers are compared as the `f32`
    /// the operations hold, so a limit such as 0.01 admits itself.
    pub fn check(&self, v: f64) -> Result<()> {
        let inside = match self.kind {
            Kind::Float { min, max, .. } => (min as f32..=max as f32).contains(&(v as f32)),
            Kind::Int { min, max, .. } => (min as f64..=max as f64).contains(&v),
            _ => {
                return Err(Error::Internal(format!(
                    "parameter `{}` has no numeric limits",
                    self.id
                )))
            }
        };
        let Some((min, max)) = self.limits() else {
            return Err(Error::Internal(format!(
                "parameter `{}` has no numeric limits",
                self.id
            )));
        };
        if inside {
            Ok(())
        } else {
            let unit = self.unit;
            Err(Error::parameter(
                self.id,
                format!("{v}{unit} is outside {min}..{max}{unit}"),
            ))
        }
    }
}

/// Every parameter of one operation, in the order the faces list them.
#[derive(Debug)]
pub struct Table {
    /// The operation's name (`mask`, `remove`...): the CLI command and the
    /// job file's table.
    pub operation: &'static str,
    pub params: &'static [Param],
}

impl Table {
    /// The parameter `id`. Asking for an id the table lacks is a bug.
    pub fn get(&self, id: &str) -> Result<&'static Param> {
        self.params
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| Error::Internal(format!("{} has no parameter `{id}`", self.operation)))
    }

    /// `v` within the limits of `id`.
    pub fn check(&self, id: &str, v: f64) -> Result<()> {
        self.get(id)?.check(v)
    }

    /// Every key of `keys` within the limits of `id`.
    pub fn check_all(&self, id: &str, keys: impl IntoIterator<Item = f32>) -> Result<()> {
        let p = self.get(id)?;
        keys.into_iter().try_for_each(|v| p.check(v as f64))
    }

    /// The parameters `face` shows.
    pub fn on(&self, face: Faces) -> impl Iterator<Item = &'static Param> {
        self.params.iter().filter(move |p| p.faces.has(face))
    }

    /// The operation's defaults as job-file values (the CLI and job
    /// defaults); unset optional values are left out.
    pub fn defaults(&self) -> toml::Table {
        let mut t = toml::Table::new();
        for p in self.on(Faces::JOB) {
            let v = match p.kind {
                Kind::Float {
                    default, optional, ..
                } if !optional => toml::Value::Float(default),
                Kind::Int { default, .. } => toml::Value::Integer(default),
                Kind::Bool { default } => toml::Value::Boolean(default),
                Kind::Choice {
                    default: Some(d), ..
                } => toml::Value::String(d.into()),
                Kind::Model { default, .. } => toml::Value::String(default.into()),
                Kind::Text { repeat: true, .. } => toml::Value::Array(Vec::new()),
                _ => continue,
            };
            t.insert(p.id.into(), v);
        }
        t
    }

    /// The default of `id` as a job file writes it. A struct's `Default`
    /// reads its fields through this, so no face keeps a second copy; an
    /// id the table lacks, or one without a default, is a bug in the
    /// table that every operation's defaults test catches.
    pub fn default_value(&self, id: &str) -> toml::Value {
        match self.defaults().remove(id) {
            Some(v) => v,
            None => panic!(
                "{}: no default for `{id}` in the parameter table",
                self.operation
            ),
        }
    }

    /// The default of the number `id`.
    pub fn default_f32(&self, id: &str) -> f32 {
        match self.default_value(id) {
            toml::Value::Float(v) => v as f32,
            other => panic!("{}: `{id}` is not a real number: {other}", self.operation),
        }
    }

    /// The default of the whole number `id`.
    pub fn default_int<T: TryFrom<i64>>(&self, id: &str) -> T {
        match self.default_value(id) {
            toml::Value::Integer(v) => match T::try_from(v) {
                Ok(v) => v,
                Err(_) => panic!("{}: `{id}`'s default {v} does not fit", self.operation),
            },
            other => panic!("{}: `{id}` is not a whole number: {other}", self.operation),
        }
    }

    /// The default of the switch `id`.
    pub fn default_bool(&self, id: &str) -> bool {
        match self.default_value(id) {
            toml::Value::Boolean(v) => v,
            other => panic!("{}: `{id}` is not a switch: {other}", self.operation),
        }
    }

    /// The default of the text, model or menu `id`, as the type a job file
    /// reads it into (`String`, or a menu's enum).
    pub fn default_of<T: DeserializeOwned>(&self, id: &str) -> T {
        match self.default_value(id).try_into() {
            Ok(v) => v,
            Err(e) => panic!("{}: `{id}`'s default does not fit: {e}", self.operation),
        }
    }

    /// The values of `params` that its analysis depends on, as one key:
    /// equal keys, reusable analyses.
    pub fn analysis_key<P: Serialize>(&self, params: &P) -> Result<String> {
        let values = match toml::Value::try_from(params) {
            Ok(toml::Value::Table(t)) => t,
            Ok(_) | Err(_) => {
                return Err(Error::Internal(format!(
                    "{}: the parameters do not serialise as a table",
                    self.operation
                )))
            }
        };
        Ok(self
            .params
            .iter()
            .filter(|p| p.analysed)
            .map(|p| match values.get(p.id) {
                Some(v) => format!("{}={v}", p.id),
                None => format!("{}=", p.id),
            })
            .collect::<Vec<_>>()
            .join(" "))
    }

    /// A text with its `[[id]]` mentions written as `name` writes them.
    pub fn render(&self, text: &str, name: impl Fn(&Param) -> String) -> String {
        render_mentions(text, |id| self.get(id).ok().map(&name))
    }
}

/// An operation's parameter struct and the table that describes it.
pub trait Described: Serialize + DeserializeOwned {
    const TABLE: &'static Table;
}

/// How core texts mention parameter `id`; a face replaces it with its
/// own name for it ([`render_mentions`]).
pub fn mention(id: &str) -> String {
    format!("[[{id}]]")
}

/// How core texts point at a command of the model tools (`models fetch
/// NAME`): each face says where that command is (the CLI runs it as
/// `retake models fetch NAME`).
pub fn tool(command: &str) -> String {
    format!("[[{TOOL}{command}]]")
}

/// The prefix of a [`tool`] mention.
pub const TOOL: &str = "tool ";

/// `text` with each `[[id]]` replaced by `name(id)`; mentions `name`
/// does not know keep the bare id.
pub fn render_mentions(text: &str, name: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("[[") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("]]") {
            Some(end) => {
                let id = &after[..end];
                out.push_str(&name(id).unwrap_or_else(|| id.to_string()));
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("[[");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_rendered_and_unknown_ones_keep_their_id() {
        let text = "use [[kelvin]] or [[colour]], not [[both";
        let out = render_mentions(text, |id| (id == "kelvin").then(|| "--kelvin".to_string()));
        assert_eq!(out, "use --kelvin or colour, not [[both");
    }

    #[test]
    fn check_rejects_just_outside_and_nan() {
        let p = Param::new(
            "x",
            "X",
            "",
            Kind::Int {
                default: 1,
                min: 1,
                max: 64,
            },
        );
        assert!(p.check(1.0).is_ok() && p.check(64.0).is_ok());
        assert!(p.check(0.0).is_err() && p.check(65.0).is_err() && p.check(f64::NAN).is_err());
    }
}
