//! Keyframed numbers: a value that may change over the shot, as every
//! face writes it (`30` or `0:30,100:60`) and every operation reads it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A number that may change over the shot: one value (`30`), or
/// `frame:value` keys (`0:30,100:60`) interpolated linearly and held before
/// the first key and after the last. Frames are the clip's own numbers.
/// Angles are interpolated as plain numbers: to turn through 0° write
/// `0:350,20:370`, not `0:350,20:10`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "KeyframesRepr", into = "KeyframesRepr")]
pub struct Keyframes {
    /// Sorted by frame, frames distinct, never empty.
    keys: Vec<(i64, f32)>,
    /// Written as a single number rather than keys.
    constant: bool,
}

impl Keyframes {
    /// The same value on every frame.
    pub fn constant(value: f32) -> Self {
        Keyframes {
            keys: vec![(0, value)],
            constant: true,
        }
    }

    /// Keys at the given frames, in any order; frames must be distinct and
    /// values finite.
    pub fn new(keys: impl IntoIterator<Item = (i64, f32)>) -> Result<Self, String> {
        let mut keys: Vec<(i64, f32)> = keys.into_iter().collect();
        if keys.is_empty() {
            return Err("no keys".into());
        }
        if let Some((f, v)) = keys.iter().find(|(_, v)| !v.is_finite()) {
            return Err(format!(
                "the value at frame {f} is {v}, not a finite number"
            ));
        }
        keys.sort_by_key(|k| k.0);
        if let Some(w) = keys.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(format!("frame {} has two keys", w[0].0));
        }
        Ok(Keyframes {
            keys,
            constant: false,
        })
    }

    /// Parse `30` or `0:30,100:60` (commas, semicolons or spaces between keys).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if !text.contains(':') {
            return match text.parse::<f32>() {
                Ok(v) if v.is_finite() => Ok(Keyframes::constant(v)),
                _ => Err(format!(
                    "`{text}` is not a number or a list of frame:value keys like `0:30,100:60`"
                )),
            };
        }
        let mut keys = Vec::new();
        for part in text
            .split([',', ';', ' ', '\t'])
            .filter(|p| !p.trim().is_empty())
        {
            let (f, v) = part
                .split_once(':')
                .ok_or_else(|| format!("key `{part}` is not frame:value"))?;
            let frame = f
                .trim()
                .parse::<i64>()
                .map_err(|_| format!("key `{part}`: `{}` is not a frame number", f.trim()))?;
            let value = v
                .trim()
                .parse::<f32>()
                .map_err(|_| format!("key `{part}`: `{}` is not a number", v.trim()))?;
            keys.push((frame, value));
        }
        Keyframes::new(keys)
    }

    /// The value at `frame`.
    pub fn value_at(&self, frame: i64) -> f32 {
        let keys = &self.keys;
        let first = keys[0];
        if frame <= first.0 || keys.len() == 1 {
            return first.1;
        }
        for w in keys.windows(2) {
            let ((f0, v0), (f1, v1)) = (w[0], w[1]);
            if frame <= f1 {
                let t = (frame - f0) as f64 / (f1 - f0) as f64;
                return (v0 as f64 + (v1 as f64 - v0 as f64) * t) as f32;
            }
        }
        keys[keys.len() - 1].1
    }

    /// Every key value: with linear interpolation the values between keys
    /// stay within their range, so checking these checks every frame.
    pub fn values(&self) -> impl Iterator<Item = f32> + '_ {
        self.keys.iter().map(|k| k.1)
    }

    /// The keys, sorted by frame.
    pub fn keys(&self) -> &[(i64, f32)] {
        &self.keys
    }
}

impl FromStr for Keyframes {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Keyframes::parse(s)
    }
}

impl fmt::Display for Keyframes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.constant {
            return write!(f, "{}", self.keys[0].1);
        }
        for (i, (frame, v)) in self.keys.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{frame}:{v}")?;
        }
        Ok(())
    }
}

impl From<f32> for Keyframes {
    fn from(v: f32) -> Self {
        Keyframes::constant(v)
    }
}

/// How keyframes look in a job file: `azimuth = 30` or
/// `azimuth = "0:30,100:60"`.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum KeyframesRepr {
    Number(f64),
    Text(String),
}

impl TryFrom<KeyframesRepr> for Keyframes {
    type Error = String;
    fn try_from(r: KeyframesRepr) -> Result<Self, String> {
        match r {
            KeyframesRepr::Number(v) if (v as f32).is_finite() => Ok(Keyframes::constant(v as f32)),
            KeyframesRepr::Number(v) => Err(format!("{v} is not a finite number")),
            KeyframesRepr::Text(t) => Keyframes::parse(&t),
        }
    }
}

impl From<Keyframes> for KeyframesRepr {
    fn from(k: Keyframes) -> Self {
        if k.constant {
            KeyframesRepr::Number(k.keys[0].1 as f64)
        } else {
            KeyframesRepr::Text(k.to_string())
        }
    }
}
