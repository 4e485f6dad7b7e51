//! Lights and their values over time: keyframed numbers, colours (RGB or
//! colour temperature), and the concrete lights of one frame.
//!
//! Directions are in camera space: x to the camera's right, y up, z from
//! the scene towards the camera. A light's *azimuth* turns around the view
//! axis like a clock hand on the frame, counter-clockwise as seen by the
//! camera: 0° = from the right of frame, 90° = from above, 180° = from the
//! left, 270° = from below. Its *elevation* tilts it out of the picture
//! plane: 90° = from the camera (flat front light), 0° = grazing from the
//! side, negative = from behind the subject (a back light or rim).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use retake_imageops::luma::REC709_LUMA_F64;

/// A linear-light RGB triple, written `1,0.9,0.8` (or one number for grey).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RgbRepr", into = "String")]
pub struct Rgb(pub [f32; 3]);

impl Rgb {
    pub const WHITE: Rgb = Rgb([1.0; 3]);

    /// Parse `r,g,b` or a single grey value; components finite and >= 0.
    pub fn parse(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text
            .split([',', ' ', '\t'])
            .filter(|p| !p.trim().is_empty())
            .collect();
        let nums: Result<Vec<f32>, String> = parts
            .iter()
            .map(|p| {
                p.trim()
                    .parse::<f32>()
                    .map_err(|_| format!("`{}` in `{text}` is not a number", p.trim()))
            })
            .collect();
        let rgb = match nums?.as_slice() {
            [g] => [*g; 3],
            [r, g, b] => [*r, *g, *b],
            other => {
                return Err(format!(
                    "`{text}` has {} components; give r,g,b like `1,0.9,0.8`",
                    other.len()
                ))
            }
        };
        Rgb::new(rgb)
    }

    /// Check the components: finite and not negative.
    pub fn new(rgb: [f32; 3]) -> Result<Self, String> {
        if rgb.iter().any(|v| !v.is_finite() || *v < 0.0) {
            return Err(format!(
                "{},{},{} has a negative or non-finite component",
                rgb[0], rgb[1], rgb[2]
            ));
        }
        Ok(Rgb(rgb))
    }
}

impl FromStr for Rgb {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Rgb::parse(s)
    }
}

impl fmt::Display for Rgb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},{},{}", self.0[0], self.0[1], self.0[2])
    }
}

impl From<Rgb> for String {
    fn from(c: Rgb) -> String {
        c.to_string()
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RgbRepr {
    Text(String),
    List([f32; 3]),
}

impl TryFrom<RgbRepr> for Rgb {
    type Error = String;
    fn try_from(r: RgbRepr) -> Result<Self, String> {
        match r {
            RgbRepr::Text(t) => Rgb::parse(&t),
            RgbRepr::List(v) => Rgb::new(v),
        }
    }
}

/// Colour temperatures the conversion covers (the range of the Planckian
/// locus approximation it uses).
pub const KELVIN_RANGE: std::ops::RangeInclusive<f32> = 1667.0..=25000.0;

/// Chromaticity (CIE 1931 xy) of a black body at `kelvin` (Kim et al. 2002
/// cubic fit of the Planckian locus, 1667-25000 K; clamped outside).
fn planckian_xy(kelvin: f32) -> (f64, f64) {
    let t = kelvin.clamp(*KELVIN_RANGE.start(), *KELVIN_RANGE.end()) as f64;
    let (t2, t3) = (t * t, t * t * t);
    let x = if t <= 4000.0 {
        -0.266_123_9e9 / t3 - 0.234_358_9e6 / t2 + 0.877_695_6e3 / t + 0.179_910
    } else {
        -3.025_846_9e9 / t3 + 2.107_037_9e6 / t2 + 0.222_634_7e3 / t + 0.240_390
    };
    let (x2, x3) = (x * x, x * x * x);
    let y = if t <= 2222.0 {
        -1.106_381_4 * x3 - 1.348_110_20 * x2 + 2.185_558_32 * x - 0.202_196_83
    } else if t <= 4000.0 {
        -0.954_947_6 * x3 - 1.374_185_93 * x2 + 2.091_370_15 * x - 0.167_488_67
    } else {
        3.081_758_0 * x3 - 5.873_386_70 * x2 + 3.751_129_97 * x - 0.370_014_83
    };
    (x, y)
}

/// Linear Rec.709 RGB of a black body, unnormalised.
fn planckian_rgb(kelvin: f32) -> [f64; 3] {
    let (x, y) = planckian_xy(kelvin);
    let (xx, yy, zz) = (x / y, 1.0, (1.0 - x - y) / y);
    [
        (3.240_454_2 * xx - 1.537_138_5 * yy - 0.498_531_4 * zz).max(0.0),
        (-0.969_266_0 * xx + 1.876_010_8 * yy + 0.041_556_0 * zz).max(0.0),
        (0.055_643_4 * xx - 0.204_025_9 * yy + 1.057_225_2 * zz).max(0.0),
    ]
}

/// Linear Rec.709 colour of light at `kelvin`, relative to 6500 K (so
/// 6500 K is exactly neutral, as in a grading tool's temperature control)
/// and scaled to luminance 1, so changing the temperature does not change
/// the brightness.
pub fn kelvin_rgb(kelvin: f32) -> [f32; 3] {
    let c = planckian_rgb(kelvin);
    let n = planckian_rgb(6500.0);
    let rel = [c[0] / n[0], c[1] / n[1], c[2] / n[2]];
    let [kr, kg, kb] = REC709_LUMA_F64;
    let lum = kr * rel[0] + kg * rel[1] + kb * rel[2];
    if lum <= 0.0 || !lum.is_finite() {
        return [1.0; 3];
    }
    [
        (rel[0] / lum) as f32,
        (rel[1] / lum) as f32,
        (rel[2] / lum) as f32,
    ]
}

/// Which kind of key light.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LightKind {
    /// A distant light (the sun, a large source far away): one direction
    /// for the whole frame, set by azimuth and elevation.
    #[default]
    Directional,
    /// A light at a place in the scene: a position on the frame and a
    /// distance from the camera; it falls off with distance.
    Point,
}

/// Where light comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LightSource {
    /// Unit vector from the surface towards the light, camera space.
    Directional { towards: [f32; 3] },
    /// A point light at frame position `(x, y)` (0..1, top-left origin,
    /// may lie outside the frame) and distance `depth` from the camera in
    /// units of the scene's scale ([`super::Geometry::scale`], the median
    /// depth), so 1 is as far as the typical surface.
    Point { x: f32, y: f32, depth: f32 },
}

/// One light as the shading sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Light {
    pub source: LightSource,
    /// Linear RGB tint (luminance 1 for temperatures).
    pub colour: [f32; 3],
    /// Light added, in units of the light already in the shot: 1 doubles
    /// the brightness of a surface facing the light.
    pub intensity: f32,
    /// Wrap factor (0..1): 0 is a hard Lambert terminator, 1 lets light
    /// wrap all the way round as a large soft source does.
    pub softness: f32,
    /// Strength of the rim term on edges that face this light.
    pub rim: f32,
}

/// Everything that lights one frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Lighting {
    pub lights: Vec<Light>,
    /// Uniform light added everywhere (colour × amount, relative to the
    /// shot's light); negative darkens.
    pub ambient: [f32; 3],
    /// Per-channel multiplier applied last: the grade's tint times
    /// 2^exposure.
    pub grade: [f32; 3],
    /// Screen-space shadow strength (0 = no shadows).
    pub shadows: f32,
}

impl Lighting {
    /// Nothing added, nothing graded: the output is the input.
    pub fn is_identity(&self) -> bool {
        self.ambient == [0.0; 3]
            && self.grade == [1.0; 3]
            && self
                .lights
                .iter()
                .all(|l| l.intensity == 0.0 && l.rim == 0.0)
    }
}

/// Unit vector towards a light at `azimuth_deg` / `elevation_deg` (see the
/// module's conventions).
pub fn direction(azimuth_deg: f32, elevation_deg: f32) -> [f32; 3] {
    let (a, e) = (
        (azimuth_deg as f64).to_radians(),
        (elevation_deg as f64).to_radians(),
    );
    [
        (e.cos() * a.cos()) as f32,
        (e.cos() * a.sin()) as f32,
        e.sin() as f32,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_thousand_five_hundred_kelvin_is_neutral_and_warm_is_red() {
        let n = kelvin_rgb(6500.0);
        assert!(n.iter().all(|v| (v - 1.0).abs() < 1e-5), "{n:?}");
        let warm = kelvin_rgb(3000.0);
        assert!(warm[0] > warm[1] && warm[1] > warm[2], "{warm:?}");
        let cool = kelvin_rgb(10000.0);
        assert!(cool[2] > cool[1] && cool[1] > cool[0], "{cool:?}");
        for c in [warm, cool] {
            let lum = retake_imageops::luma::luma(&c);
            assert!((lum - 1.0).abs() < 1e-5);
        }
    }

    #[test]
    fn directions_follow_the_documented_convention() {
        let close = |a: [f32; 3], b: [f32; 3]| a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-6);
        assert!(close(direction(0.0, 0.0), [1.0, 0.0, 0.0]));
        assert!(close(direction(90.0, 0.0), [0.0, 1.0, 0.0]));
        assert!(close(direction(180.0, 0.0), [-1.0, 0.0, 0.0]));
        assert!(close(direction(33.0, 90.0), [0.0, 0.0, 1.0]));
        assert!(direction(90.0, -30.0)[2] < 0.0);
    }

    #[test]
    fn colours_parse() {
        assert_eq!(Rgb::parse("1, 0.9,0.8").unwrap(), Rgb([1.0, 0.9, 0.8]));
        assert_eq!(Rgb::parse("0.5").unwrap(), Rgb([0.5; 3]));
        assert!(Rgb::parse("1,2").is_err());
        assert!(Rgb::parse("1,-1,0").is_err());
        assert!(Rgb::parse("1,x,0").is_err());
    }
}
