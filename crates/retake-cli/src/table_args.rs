//! An operation's flags, built from its parameter table
//! ([`retake_core::params`]): the flag, its help, default, limits and
//! menu come from the one description the job files and the plugin read
//! too. Parsed flags become a job-file table and go through the same serde
//! path as `retake run`, so a flag and a job-file key cannot disagree.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Arg, ArgAction, ArgMatches, Command};
use retake_core::params::{Described, Faces, Kind, Param, Table};
use retake_imageops::keyframes::Keyframes;
use retake_ops3d::relight::Rgb;

/// An operation's parameters as flags (flatten it into a command's args);
/// recorded in provenance as the parameters themselves.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(transparent)]
pub struct TableArgs<P>(pub P);

impl<P> std::ops::Deref for TableArgs<P> {
    type Target = P;

    fn deref(&self) -> &P {
        &self.0
    }
}

impl<P> std::ops::DerefMut for TableArgs<P> {
    fn deref_mut(&mut self) -> &mut P {
        &mut self.0
    }
}

/// The flag of parameter `id`: `--edge-radius` for `edge_radius`.
pub fn flag(id: &str) -> String {
    format!("--{}", long(id))
}

fn long(id: &str) -> String {
    id.replace('_', "-")
}

/// A core text (help, error) with its parameter mentions written as flags
/// and its tool mentions as `retake` commands.
pub fn in_cli_words(text: &str) -> String {
    retake_core::params::render_mentions(text, |id| {
        Some(match id.strip_prefix(retake_core::params::TOOL) {
            Some(command) => format!("`retake {command}`"),
            None => flag(id),
        })
    })
}

/// How the CLI says what went wrong: parameters by their flag.
pub fn message(e: &retake_core::Error) -> String {
    match e {
        // An operation's parameter is its flag; other names (an
        // environment variable, a colour space) stay as they are.
        retake_core::Error::Parameter { name, problem } => {
            let shown = match retake_ops3d::tables::find(name) {
                Some(_) => flag(name),
                None => name.clone(),
            };
            format!("invalid parameter `{shown}`: {}", in_cli_words(problem))
        }
        other => in_cli_words(&other.to_string()),
    }
}

/// A number as the table writes it, the way clap shows a default.
fn number(v: f64) -> String {
    format!("{v}")
}

/// The flag of one parameter.
pub fn arg(p: &Param) -> Arg {
    let mut a = Arg::new(p.id)
        .long(long(p.id))
        .value_name(p.id.to_uppercase());
    if let Some(alias) = p.alias {
        a = a.alias(long(alias));
    }
    match p.kind {
        Kind::Float {
            default,
            min,
            optional,
            keyed,
            ..
        } => {
            a = a
                .allow_negative_numbers(min < 0.0)
                .allow_hyphen_values(min < 0.0);
            if keyed {
                a = a.value_parser(|s: &str| {
                    s.parse::<Keyframes>()
                        .map(|_| s.to_string())
                        .map_err(|e| e.to_string())
                });
            } else {
                a = a.value_parser(clap::value_parser!(f64));
            }
            if !optional {
                a = a.default_value(number(default));
            }
        }
        Kind::Int { default, .. } => {
            a = a
                .value_parser(clap::value_parser!(i64))
                .default_value(default.to_string());
        }
        Kind::Bool { .. } => {
            a = a.action(ArgAction::SetTrue);
        }
        Kind::Choice {
            default, options, ..
        } => {
            let values: Vec<&'static str> = options.iter().map(|o| o.value).collect();
            a = a.value_parser(PossibleValuesParser::new(values).map(|s| s));
            if let Some(d) = default {
                a = a.default_value(d);
            }
        }
        Kind::Model { default, .. } => {
            a = a.default_value(default);
        }
        Kind::Text { value_name, repeat } => {
            a = a.value_name(value_name);
            if repeat {
                a = a.action(ArgAction::Append);
            }
        }
        Kind::Colour => {
            a = a.value_parser(|s: &str| {
                s.parse::<Rgb>()
                    .map(|_| s.to_string())
                    .map_err(|e| e.to_string())
            });
        }
    }
    a.help(in_cli_words(p.help))
}

/// Every flag of `table`.
pub fn args(table: &Table) -> impl Iterator<Item = Arg> + '_ {
    table.on(Faces::CLI).map(arg)
}

/// The parsed flags of `table` as its job-file table: the same keys and
/// values a job file would hold.
pub fn as_job_table(table: &Table, m: &ArgMatches) -> toml::Table {
    let mut t = toml::Table::new();
    for p in table.on(Faces::CLI) {
        let value = match p.kind {
            Kind::Float { keyed: true, .. } | Kind::Colour => m
                .get_one::<String>(p.id)
                .map(|s| toml::Value::String(s.clone())),
            Kind::Float { .. } => m.get_one::<f64>(p.id).map(|v| toml::Value::Float(*v)),
            Kind::Int { .. } => m.get_one::<i64>(p.id).map(|v| toml::Value::Integer(*v)),
            Kind::Bool { .. } => Some(toml::Value::Boolean(m.get_flag(p.id))),
            Kind::Text { repeat: true, .. } => Some(toml::Value::Array(
                m.get_many::<String>(p.id)
                    .into_iter()
                    .flatten()
                    .map(|s| toml::Value::String(s.clone()))
                    .collect(),
            )),
            Kind::Choice { .. } | Kind::Model { .. } | Kind::Text { .. } => m
                .get_one::<String>(p.id)
                .map(|s| toml::Value::String(s.clone())),
        };
        if let Some(v) = value {
            t.insert(p.id.to_string(), v);
        }
    }
    t
}

impl<P: Described + Clone + std::fmt::Debug + Send + Sync + 'static> clap::FromArgMatches
    for TableArgs<P>
{
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let table = as_job_table(P::TABLE, m);
        table.try_into().map(TableArgs).map_err(|e| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("{}: {e}\n", P::TABLE.operation),
            )
        })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl<P: Described + Clone + std::fmt::Debug + Send + Sync + 'static> clap::Args for TableArgs<P> {
    fn augment_args(cmd: Command) -> Command {
        cmd.args(args(P::TABLE))
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

/// A value of a serde enum (`signed`, `distance`) from its job-file name.
pub fn serde_value<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, String> {
    use serde::de::IntoDeserializer;
    T::deserialize(s.into_deserializer()).map_err(|e: serde::de::value::Error| e.to_string())
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};
    use retake_ops3d::reangle::{NamedMove, ReangleAlpha, ReangleParams};
    use retake_ops3d::relight::{AlphaRole, RelightParams, Rgb};

    use super::TableArgs;

    #[derive(Parser)]
    struct Relight {
        #[command(flatten)]
        relight: TableArgs<RelightParams>,
    }

    #[derive(Parser)]
    struct Reangle {
        #[command(flatten)]
        reangle: TableArgs<ReangleParams>,
    }

    #[test]
    fn relight_flags_parse_into_the_same_parameters() {
        Relight::command().debug_assert();
        let cli = Relight::try_parse_from([
            "relight",
            "--preset",
            "night",
            "--azimuth",
            "0:30,100:60",
            "--elevation",
            "-20",
            "--color",
            "1,0.9,0.8",
            "--shadows",
            "--alpha",
            "depth",
        ])
        .unwrap();
        let p = cli.relight.0;
        assert_eq!(p.azimuth.as_ref().map(|k| k.value_at(50)), Some(45.0));
        assert_eq!(p.elevation.as_ref().map(|k| k.value_at(0)), Some(-20.0));
        assert_eq!(p.colour, Some(Rgb([1.0, 0.9, 0.8])));
        assert_eq!(p.alpha, AlphaRole::Depth);
        assert_eq!(p.fov, RelightParams::default().fov);
        assert!(p.shadows && p.validate().is_ok());
        assert!(Relight::try_parse_from(["relight", "--azimuth", "0:x"]).is_err());
        let defaults = Relight::try_parse_from(["relight"]).unwrap().relight.0;
        assert_eq!(defaults, RelightParams::default());
    }

    #[test]
    fn reangle_flags_parse_into_the_same_parameters() {
        Reangle::command().debug_assert();
        let cli = Reangle::try_parse_from([
            "reangle",
            "--yaw",
            "-5",
            "--dolly",
            "0:0,10:0.4",
            "--move",
            "orbit",
            "--amount",
            "-0.5",
            "--alpha",
            "depth",
        ])
        .unwrap();
        let p = cli.reangle.0;
        assert_eq!(p.yaw.as_ref().map(|k| k.value_at(0)), Some(-5.0));
        assert_eq!(p.dolly.as_ref().map(|k| k.value_at(5)), Some(0.2));
        assert_eq!(p.camera_move, Some(NamedMove::Orbit));
        assert_eq!(p.amount, -0.5);
        assert_eq!(p.alpha, ReangleAlpha::Depth);
        let defaults = Reangle::try_parse_from(["reangle"]).unwrap().reangle.0;
        assert_eq!(defaults, ReangleParams::default());
    }

    /// Each operation's command shows exactly its table's CLI parameters
    /// (beside the input/output flags and the files it reads), with the
    /// table's flag, help, default and menu.
    #[test]
    fn every_command_shows_its_table() {
        use retake_core::params::{Faces, Kind};
        use retake_ops3d::tables::tables;

        let cli = crate::args::Cli::command();
        let ids = |c: &clap::Command| -> Vec<String> {
            c.get_arguments()
                .filter(|a| !a.is_global_set() && a.get_long().is_some())
                .map(|a| a.get_id().to_string())
                .collect()
        };
        let io = ids(&<crate::args::IoArgs as clap::Args>::augment_args(
            clap::Command::new("io"),
        ));
        let relight_inputs = ids(&<crate::args::RelightInputs as clap::Args>::augment_args(
            clap::Command::new("inputs"),
        ));
        let reangle_inputs = ids(&<crate::args::ReangleInputs as clap::Args>::augment_args(
            clap::Command::new("inputs"),
        ));
        for table in tables() {
            let command = cli
                .find_subcommand(table.operation)
                .unwrap_or_else(|| panic!("no command {}", table.operation));
            let mut shown: Vec<String> = ids(command)
                .into_iter()
                .filter(|id| !io.contains(id))
                .filter(|id| match table.operation {
                    "relight" => !relight_inputs.contains(id),
                    "reangle" => !reangle_inputs.contains(id),
                    _ => true,
                })
                .collect();
            shown.sort();
            let mut expected: Vec<String> =
                table.on(Faces::CLI).map(|p| p.id.to_string()).collect();
            expected.sort();
            assert_eq!(shown, expected, "{}: flags", table.operation);
            for p in table.on(Faces::CLI) {
                let arg = command
                    .get_arguments()
                    .find(|a| a.get_id() == p.id)
                    .unwrap_or_else(|| panic!("{}: no --{}", table.operation, p.id));
                let what = format!("{} {}", table.operation, super::flag(p.id));
                assert_eq!(arg.get_long(), Some(super::long(p.id).as_str()), "{what}");
                assert_eq!(
                    arg.get_help().map(|h| h.to_string()),
                    Some(super::in_cli_words(p.help)),
                    "{what}: help"
                );
                let defaults: Vec<String> = arg
                    .get_default_values()
                    .iter()
                    .map(|d| d.to_string_lossy().into_owned())
                    .collect();
                let expected: Vec<String> = match p.kind {
                    Kind::Float {
                        default,
                        optional: false,
                        ..
                    } => vec![format!("{default}")],
                    Kind::Int { default, .. } => vec![default.to_string()],
                    Kind::Choice {
                        default: Some(d), ..
                    } => vec![d.to_string()],
                    Kind::Model { default, .. } => vec![default.to_string()],
                    // A switch is off unless given: a flag cannot say false.
                    Kind::Bool { default } => {
                        assert!(!default, "{what}: a switch on by default");
                        Vec::new()
                    }
                    _ => Vec::new(),
                };
                assert_eq!(defaults, expected, "{what}: default");
                if let Kind::Choice { options, .. } = p.kind {
                    let values: Vec<String> = arg
                        .get_possible_values()
                        .iter()
                        .map(|v| v.get_name().to_string())
                        .collect();
                    let table_values: Vec<String> =
                        options.iter().map(|o| o.value.to_string()).collect();
                    assert_eq!(values, table_values, "{what}: options");
                }
            }
        }
    }
}
