//! The parameter table of the subject mask (`retake mask`, `[mask]`,
//! Retake Mask).

use crate::mask::MaskParams;
use retake_core::params::{Choice, Described, Kind, Param, Table};
use retake_core::role::Role;

pub const TABLE: &Table = &Table {
    operation: "mask",
    params: &[
        Param::new(
            "model",
            "Model",
            "Segmentation model: a name from the installed models (role `mask`), or a manifest path.",
            Kind::Model {
                role: Role::Mask,
                default: "u2netp",
                builtins: &[],
            },
        )
        .analysed(),
        Param::new(
            "threshold",
            "Threshold",
            "Saliency level (0-1) that separates subject from background.",
            Kind::Float {
                default: 0.5,
                min: 0.0,
                max: 1.0,
                slider: (0.0, 1.0),
                optional: false,
                keyed: false,
                angle: false,
            },
        )
        .animates(),
        Param::new(
            "softness",
            "Softness",
            "Width of the soft edge around the threshold (0 = hard binary mask).",
            Kind::Float {
                default: 0.2,
                min: 0.0,
                max: 1.0,
                slider: (0.0, 1.0),
                optional: false,
                keyed: false,
                angle: false,
            },
        )
        .animates(),
        Param::new(
            "temporal_radius",
            "Temporal radius",
            "Frames on each side blended to stop the mask chattering (0 = off, at most 12).",
            Kind::Int {
                default: 2,
                min: 0,
                max: 12,
            },
        )
        .unit(" frames"),
        Param::new(
            "temporal_sigma",
            "Temporal sigma",
            "How far in time (frames) neighbours keep their weight.",
            Kind::Float {
                default: 1.5,
                min: 0.01,
                max: 100.0,
                slider: (0.1, 6.0),
                optional: false,
                keyed: false,
                angle: false,
            },
        ),
        Param::new(
            "motion_sigma",
            "Motion sigma",
            "Colour change (0-1) at which a neighbour's vote fades, so moving subjects do not leave ghosts.",
            Kind::Float {
                default: 0.08,
                min: 0.0001,
                max: 10.0,
                slider: (0.01, 0.5),
                optional: false,
                keyed: false,
                angle: false,
            },
        ),
        Param::new(
            "edge_radius",
            "Edge radius",
            "Radius of the edge-snapping guided filter, in pixels of a 960-wide frame (1-64).",
            Kind::Int {
                default: 6,
                min: 1,
                max: 64,
            },
        )
        .unit(" px"),
        Param::new(
            "edge_epsilon",
            "Edge epsilon",
            "Edge-snapping strength: smaller follows the frame's edges more tightly.",
            Kind::Float {
                default: 0.001,
                min: 1e-6,
                max: 1.0,
                slider: (1e-4, 0.05),
                optional: false,
                keyed: false,
                angle: false,
            },
        ),
        Param::new(
            "invert",
            "Invert",
            "Mask the background instead of the subject.",
            Kind::Bool { default: false },
        ),
        Param::new(
            "mode",
            "Output",
            "What to write: the mask, the source with the mask as alpha, or a preview.",
            Kind::Choice {
                default: Some("mask"),
                options: &[
                    Choice {
                        value: "mask",
                        label: "Mask",
                    },
                    Choice {
                        value: "alpha",
                        label: "Source with mask as alpha",
                    },
                    Choice {
                        value: "overlay",
                        label: "Overlay preview",
                    },
                ],
                unset: None,
            },
        ),
    ],
};

impl Described for MaskParams {
    const TABLE: &'static Table = TABLE;
}

#[cfg(test)]
mod tests {
    use crate::mask::{MaskOutput, MaskParams};

    #[test]
    fn defaults_are_the_released_ones() {
        let d = MaskParams::default();
        assert_eq!(
            d,
            MaskParams {
                model: "u2netp".into(),
                threshold: 0.5,
                softness: 0.2,
                temporal_radius: 2,
                temporal_sigma: 1.5,
                motion_sigma: 0.08,
                edge_radius: 6,
                edge_epsilon: 0.001,
                invert: false,
                mode: MaskOutput::Mask,
            }
        );
    }
}
