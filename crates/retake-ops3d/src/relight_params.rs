//! The parameter table of relighting (`retake relight`, `[relight]`,
//! Retake Relight).

use crate::relight::RelightParams;
use retake_core::params::{Choice, Described, Faces, Kind, Param, Table};
use retake_core::role::Role;

const fn c(value: &'static str, label: &'static str) -> Choice {
    Choice { value, label }
}

pub const TABLE: &Table = &Table {
    operation: "relight",
    params: &[
        Param::new(
            "preset",
            "Preset",
            "Starting point: key, fill, rim, dawn, noon, golden-hour, blue-hour or night. Time-of-day presets also grade the frame. Values given explicitly override the preset's.",
            Kind::Choice {
                default: None,
                options: &[
                    c("key", "key"),
                    c("fill", "fill"),
                    c("rim", "rim"),
                    c("dawn", "dawn"),
                    c("noon", "noon"),
                    c("golden-hour", "golden-hour"),
                    c("blue-hour", "blue-hour"),
                    c("night", "night"),
                ],
                unset: Some("none"),
            },
        ),
        Param::new(
            "override",
            "Override preset",
            "Use the light values below instead of the preset's (always used with no preset).",
            Kind::Bool { default: false },
        )
        .faces(Faces::OFX),
        Param::new(
            "light",
            "Light",
            "Kind of light: directional (sun-like, from [[azimuth]] and [[elevation]]) or point (at [[light_x]], [[light_y]], [[light_depth]]). Default: directional.",
            Kind::Choice {
                default: None,
                options: &[c("directional", "Directional"), c("point", "Point")],
                unset: None,
            },
        ),
        Param::new(
            "azimuth",
            "Azimuth",
            "Direction of a directional light around the view axis, in degrees: 0 = from the right of frame, 90 = from above, 180 = from the left, 270 = from below. Default 45.",
            Kind::keyed(45.0, -3600.0, 3600.0).slider(0.0, 360.0).angle(),
        )
        .unit("°")
        .animates(),
        Param::new(
            "elevation",
            "Elevation",
            "Tilt of a directional light towards the camera, in degrees: 90 = from the camera, 0 = grazing from the side, negative = from behind (a back light). Default 45.",
            Kind::keyed(45.0, -90.0, 90.0).angle(),
        )
        .unit("°")
        .animates(),
        Param::new(
            "light_x",
            "Light X",
            "Horizontal position of a point light on the frame (0 = left edge, 1 = right edge; outside is allowed). Default 0.5.",
            Kind::keyed(0.5, -10.0, 10.0).slider(0.0, 1.0),
        )
        .animates(),
        Param::new(
            "light_y",
            "Light Y",
            "Vertical position of a point light on the frame (0 = top, 1 = bottom). Default 0.3.",
            Kind::keyed(0.3, -10.0, 10.0).slider(0.0, 1.0),
        )
        .animates(),
        Param::new(
            "light_depth",
            "Light depth",
            "Distance of a point light from the camera, relative to the scene's typical depth (1 = as far as the median surface). Default 0.5.",
            Kind::keyed(0.5, 0.001, 1000.0).slider(0.05, 3.0),
        )
        .animates(),
        Param::new(
            "colour_mode",
            "Colour from",
            "Give the light's colour as a temperature or as RGB.",
            Kind::Choice {
                default: Some("kelvin"),
                options: &[c("kelvin", "Temperature"), c("rgb", "RGB")],
                unset: None,
            },
        )
        .faces(Faces::OFX),
        Param::new(
            "kelvin",
            "Temperature",
            "Colour of the light as a temperature in kelvin (1667-25000; 6500 = neutral, lower = warmer). Not with [[colour]].",
            Kind::keyed(6500.0, 1667.0, 25000.0).slider(2000.0, 12000.0),
        )
        .unit(" K")
        .animates(),
        Param::new(
            "colour",
            "Colour",
            "Colour of the light as linear RGB, `1,0.9,0.8`. Not with [[kelvin]].",
            Kind::Colour,
        )
        .alias("color"),
        Param::new(
            "intensity",
            "Intensity",
            "Light added, in units of the light already in the shot (1 doubles the brightness of a surface facing the light; 0 adds none).",
            Kind::keyed(0.5, 0.0, 100.0).slider(0.0, 3.0),
        )
        .animates(),
        Param::new(
            "softness",
            "Softness",
            "Softness (0-1): 0 = hard terminator, 1 = light wraps around like a large soft source; also softens shadows.",
            Kind::keyed(0.2, 0.0, 1.0),
        )
        .animates(),
        Param::new(
            "rim",
            "Rim",
            "Rim light on edges that face the light, 0 = none.",
            Kind::keyed(0.0, 0.0, 10.0).slider(0.0, 2.0),
        )
        .animates(),
        Param::new(
            "ambient",
            "Ambient",
            "Uniform light added everywhere, relative to the shot's light; negative darkens (-1 to 10). Default 0.",
            Kind::keyed(0.0, -1.0, 10.0).slider(-1.0, 2.0),
        )
        .animates(),
        Param::new(
            "ambient_colour",
            "Ambient colour",
            "Colour of the ambient light, linear RGB. Default neutral.",
            Kind::Colour,
        )
        .alias("ambient_color")
        .faces(Faces::BATCH),
        Param::new(
            "exposure",
            "Exposure",
            "Exposure of the whole result in stops (-10 to 10). Default 0.",
            Kind::keyed(0.0, -10.0, 10.0).slider(-4.0, 4.0),
        )
        .unit(" stops")
        .animates(),
        Param::new(
            "grade",
            "Grade",
            "Tint of the whole result, linear RGB multiplier. Default neutral.",
            Kind::Colour,
        )
        .faces(Faces::BATCH),
        Param::new(
            "fov",
            "Field of view",
            "Horizontal field of view of the camera, in degrees (10-120): how depth becomes shape.",
            Kind::float(50.0, 10.0, 120.0),
        )
        .unit("°")
        .analysed(),
        Param::new(
            "shadows",
            "Shadows",
            "Cast screen-space shadows from the depth.",
            Kind::Bool { default: false },
        ),
        Param::new(
            "shadow_strength",
            "Shadow strength",
            "How dark the shadows are (0-1) with [[shadows]].",
            Kind::float(0.8, 0.0, 1.0),
        )
        .animates(),
        Param::new(
            "background_tilt",
            "Background tilt",
            "Tilt of the built-in background plane in degrees (-80 to 80): 0 = a wall facing the camera, positive = a floor, negative = a ceiling.",
            Kind::float(0.0, -80.0, 80.0),
        )
        .unit("°")
        .analysed(),
        Param::new(
            "detail",
            "Detail",
            "Weight of the fine normals the built-in geometry reads from image detail (0-2; 0 = smooth shapes only).",
            Kind::float(0.3, 0.0, 2.0),
        )
        .analysed(),
        Param::new(
            "mask_mode",
            "Light where",
            "Where the light goes: all, only the subject, or only the background (needs the subject's matte).",
            Kind::Choice {
                default: Some("all"),
                options: &[
                    c("all", "Whole frame"),
                    c("subject", "Subject only"),
                    c("background", "Background only"),
                ],
                unset: None,
            },
        ),
        Param::new(
            "alpha",
            "Alpha",
            "What the frames' alpha carries: the subject's matte, a depth pass, or the picture's own alpha to keep.",
            Kind::Choice {
                default: Some("matte"),
                options: &[c("matte", "Matte"), c("depth", "Depth"), c("keep", "Keep")],
                unset: None,
            },
        )
        .faces(Faces::BATCH)
        .analysed(),
        Param::new(
            "temporal_radius",
            "Temporal radius",
            "Frames on each side whose geometry is blended in to stop flicker (0 = off, at most 8).",
            Kind::Int {
                default: 2,
                min: 0,
                max: crate::relight::MAX_TEMPORAL_RADIUS as i64,
            },
        )
        .unit(" frames"),
        Param::new(
            "temporal_align",
            "Temporal align",
            "How neighbouring frames' geometry is matched before blending: pixel by pixel where the picture did not change, or along the optical flow first (moving subjects are blended too; slower, and on the footage measured no steadier, see scripts/eval_relight.sh).",
            Kind::Choice {
                default: Some("pixel"),
                options: &[c("pixel", "Pixel"), c("flow", "Flow")],
                unset: None,
            },
        )
        .faces(Faces::BATCH),
        Param::new(
            "depth_model",
            "Depth model",
            "Geometry when no depth pass is given: `auto` (an installed depth model, else the built-in estimate), `builtin`, or a depth model's name (or manifest path).",
            Kind::Model {
                role: Role::Depth,
                default: "auto",
                builtins: &["auto", "builtin"],
            },
        )
        .analysed(),
        Param::new(
            "depth_range",
            "Depth range",
            "For a depth model's relative depth: how many times farther the farthest surface is than the nearest (1.5-1000).",
            Kind::float(retake_model::depth::DEFAULT_DEPTH_RANGE as f64, 1.5, 1000.0).slider(2.0, 100.0),
        )
        .analysed(),
        Param::new(
            "matte",
            "Subject matte",
            "The subject's matte shapes the built-in geometry and limits the light; None keeps the Source's alpha.",
            Kind::Choice {
                default: Some("none"),
                options: &[
                    c("none", "None"),
                    c("mask-input", "Mask input"),
                    c("source-alpha", "Source alpha"),
                    c("auto", "Automatic (subject model)"),
                ],
                unset: None,
            },
        )
        .faces(Faces::OFX),
    ],
};

impl Described for RelightParams {
    const TABLE: &'static Table = TABLE;
}

#[cfg(test)]
mod tests {
    use super::TABLE;
    use crate::relight::{presets, AlphaRole, MaskMode, RelightParams, TemporalAlign};
    use retake_core::params::Kind;

    #[test]
    fn defaults_are_the_released_ones() {
        assert_eq!(
            RelightParams::default(),
            RelightParams {
                preset: None,
                light: None,
                azimuth: None,
                elevation: None,
                light_x: None,
                light_y: None,
                light_depth: None,
                colour: None,
                kelvin: None,
                intensity: None,
                softness: None,
                rim: None,
                ambient: None,
                ambient_colour: None,
                exposure: None,
                grade: None,
                fov: 50.0,
                shadows: false,
                shadow_strength: 0.8,
                background_tilt: 0.0,
                detail: 0.3,
                mask_mode: MaskMode::All,
                alpha: AlphaRole::Matte,
                temporal_radius: 2,
                temporal_align: TemporalAlign::Pixel,
                depth_model: "auto".into(),
                depth_range: retake_model::depth::DEFAULT_DEPTH_RANGE,
            }
        );
    }

    /// The plugin starts the light where no preset leaves it.
    #[test]
    fn light_defaults_are_the_default_preset() {
        let p = presets::DEFAULT;
        for (id, v) in [
            ("azimuth", p.azimuth),
            ("elevation", p.elevation),
            ("kelvin", p.kelvin),
            ("intensity", p.intensity),
            ("softness", p.softness),
            ("rim", p.rim),
            ("ambient", p.ambient),
            ("exposure", p.exposure),
        ] {
            match TABLE.get(id).map(|p| p.kind) {
                Ok(Kind::Float { default, .. }) => assert_eq!(default as f32, v, "{id}"),
                other => panic!("{id}: {other:?}"),
            }
        }
    }

    #[test]
    fn preset_options_are_the_presets() {
        let Ok(Kind::Choice { options, .. }) = TABLE.get("preset").map(|p| p.kind) else {
            panic!("preset is not a menu");
        };
        let values: Vec<&str> = options.iter().map(|o| o.value).collect();
        assert_eq!(values, presets::names());
    }
}
