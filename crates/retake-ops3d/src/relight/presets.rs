//! Named starting points: studio lights (key, fill, rim) and times of day.
//! A preset gives every lighting value a default; any value the user sets
//! explicitly wins. Time-of-day presets also grade the whole frame (tint
//! and exposure), because the light already in the shot changes with the
//! sun too, not only the light that is added.
//!
//! Angles follow the convention of [`super::light`]: azimuth around the
//! view axis (0° = from the right, 90° = from above), elevation towards the
//! camera. A sun `h` degrees above the horizon, seen from the side, is
//! about azimuth `h` (or `180 - h`) with a moderate elevation, since the
//! height above the horizon is `asin(cos(elevation) sin(azimuth))`.

use super::light::LightKind;

/// The values a preset sets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Preset {
    pub name: &'static str,
    /// One line for help text.
    pub summary: &'static str,
    pub light: LightKind,
    pub azimuth: f32,
    pub elevation: f32,
    /// Colour temperature of the added light.
    pub kelvin: f32,
    pub intensity: f32,
    pub softness: f32,
    pub rim: f32,
    /// Uniform light added (relative to the shot's light) and its temperature.
    pub ambient: f32,
    pub ambient_kelvin: f32,
    /// Tint of the grade as a temperature (6500 = neutral) and its exposure
    /// in stops.
    pub grade_kelvin: f32,
    pub exposure: f32,
}

/// What applies when no preset is named: a modest neutral key from the
/// upper right, no ambient change, no grade.
pub const DEFAULT: Preset = Preset {
    name: "default",
    summary: "a modest neutral key from the upper right",
    light: LightKind::Directional,
    azimuth: 45.0,
    elevation: 45.0,
    kelvin: 6500.0,
    intensity: 0.5,
    softness: 0.2,
    rim: 0.0,
    ambient: 0.0,
    ambient_kelvin: 6500.0,
    grade_kelvin: 6500.0,
    exposure: 0.0,
};

/// Every named preset.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "key",
        summary: "studio key: a strong, fairly hard light from the upper right, base darkened half a stop",
        azimuth: 45.0,
        elevation: 40.0,
        kelvin: 5600.0,
        intensity: 1.0,
        softness: 0.3,
        exposure: -0.5,
        ..DEFAULT
    },
    Preset {
        name: "fill",
        summary: "studio fill: a weak, very soft light from the left that lifts the shadow side",
        azimuth: 200.0,
        elevation: 60.0,
        kelvin: 6500.0,
        intensity: 0.4,
        softness: 0.8,
        exposure: -0.2,
        ..DEFAULT
    },
    Preset {
        name: "rim",
        summary: "studio rim: a back light from above and behind that outlines the edges",
        azimuth: 90.0,
        elevation: -35.0,
        kelvin: 6500.0,
        intensity: 0.6,
        softness: 0.2,
        rim: 1.0,
        exposure: -0.3,
        ..DEFAULT
    },
    Preset {
        name: "dawn",
        summary: "dawn: a low, pale warm sun from the left under a cool sky, the frame a little cool and dark",
        azimuth: 168.0,
        elevation: 30.0,
        kelvin: 4300.0,
        intensity: 0.8,
        softness: 0.3,
        rim: 0.2,
        ambient: 0.05,
        ambient_kelvin: 9000.0,
        grade_kelvin: 7500.0,
        exposure: -0.6,
        ..DEFAULT
    },
    Preset {
        name: "noon",
        summary: "noon: a high, hard, neutral sun from above with a bright sky fill",
        azimuth: 80.0,
        elevation: 25.0,
        kelvin: 5800.0,
        intensity: 1.0,
        softness: 0.15,
        ambient: 0.1,
        ambient_kelvin: 8000.0,
        grade_kelvin: 6500.0,
        exposure: -0.4,
        ..DEFAULT
    },
    Preset {
        name: "golden-hour",
        summary: "golden hour: a warm sun about 10 degrees above the horizon from the right, warm grade",
        azimuth: 12.0,
        elevation: 30.0,
        kelvin: 3000.0,
        intensity: 1.2,
        softness: 0.25,
        rim: 0.3,
        ambient: 0.05,
        ambient_kelvin: 7000.0,
        grade_kelvin: 5200.0,
        exposure: -0.5,
        ..DEFAULT
    },
    Preset {
        name: "blue-hour",
        summary: "blue hour: the sun below the horizon, a dim, soft, cool sky light, the frame cool and a stop darker",
        azimuth: 100.0,
        elevation: 50.0,
        kelvin: 9000.0,
        intensity: 0.25,
        softness: 0.9,
        ambient: 0.1,
        ambient_kelvin: 12000.0,
        grade_kelvin: 10000.0,
        exposure: -1.3,
        ..DEFAULT
    },
    Preset {
        name: "night",
        summary: "night: the frame darkened two and a half stops and cooled, a weak moon key from the upper right",
        azimuth: 70.0,
        elevation: 35.0,
        kelvin: 8000.0,
        intensity: 1.5,
        softness: 0.2,
        grade_kelvin: 12000.0,
        exposure: -2.5,
        ..DEFAULT
    },
];

/// The preset called `name` (case-insensitive; `_` and ` ` read as `-`).
pub fn find(name: &str) -> Option<&'static Preset> {
    let key = name.trim().to_ascii_lowercase().replace(['_', ' '], "-");
    PRESETS.iter().find(|p| p.name == key)
}

/// The names, for help text and error messages.
pub fn names() -> Vec<&'static str> {
    PRESETS.iter().map(|p| p.name).collect()
}
