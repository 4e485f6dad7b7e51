//! The parameter table of object removal (`retake remove`, `[remove]`,
//! Retake Remove).

use crate::remove::RemoveParams;
use retake_core::params::{Choice, Described, Faces, Kind, Param, Table};
use retake_core::role::Role;

/// Spatial fills that need no model, before the installed inpainting models.
pub const BUILT_IN_FILLS: &[&str] = &["auto", "patchmatch", "smooth"];

/// Help of the spatial fill, shared with reangle.
pub const FILL_HELP: &str = "Spatial fill for what no frame shows: `auto` (an installed inpainting model, else `smooth`), `smooth` (a membrane from the border of what the frames recovered, solved on every frame: no texture, but the steadiest and the best PSNR), `patchmatch` (texture copied from around the hole), or an inpainting model's name.";

pub const TABLE: &Table = &Table {
    operation: "remove",
    params: &[
        Param::new(
            "matte",
            "Remove",
            "What marks the object to remove (white = remove): the Mask input, the Source's alpha, or the subject the segmentation model finds.",
            Kind::Choice {
                default: Some("mask-input"),
                options: &[
                    Choice {
                        value: "mask-input",
                        label: "Mask input",
                    },
                    Choice {
                        value: "source-alpha",
                        label: "Source alpha",
                    },
                    Choice {
                        value: "auto",
                        label: "Automatic (subject model)",
                    },
                ],
                unset: None,
            },
        )
        .faces(Faces::OFX),
        Param::new(
            "mask",
            "Mask",
            "What to remove (white = remove): an image sequence (`m.####.png`), a mask video, one still image for every frame, `auto` for the subject the segmentation model finds, or keyframes tracked through the shot (`0=dog.png,40=box:X,Y,W,H`).",
            Kind::Text {
                value_name: "MASK",
                repeat: false,
            },
        )
        .faces(Faces::BATCH),
        Param::new(
            "dilate",
            "Dilate",
            "Grow the mask by this many pixels, to cover edges, shadows and motion blur.",
            Kind::Int {
                default: 4,
                min: 0,
                max: 256,
            },
        )
        .unit(" px"),
        Param::new(
            "feather",
            "Feather",
            "Blend the fill into the picture over this many pixels inside the mask's edge.",
            Kind::Int {
                default: 2,
                min: 0,
                max: 64,
            },
        )
        .unit(" px"),
        Param::new(
            "window",
            "Window",
            "Frames on each side searched for the background behind the mask (at most 30); also the spacing of the frames whose invented fill the others follow. 0 fills every frame on its own (no temporal search).",
            Kind::Int {
                default: 12,
                min: 0,
                max: crate::remove::MAX_WINDOW as i64,
            },
        )
        .unit(" frames"),
        Param::new(
            "reach",
            "Reach",
            "Frames on each side searched further, beyond [[window]], for background no frame of the window shows (revealed later or earlier in the shot), before any is invented. A first pass over those frames stores the crops and flows around the holes in a temporary folder (disk grows with the mask and the frames; memory does not). 0 (the default), or no more than [[window]], searches the window only: on the DAVIS protocol long range gains with moving masks but not with a still one, flickers a little more and costs CPU time (the pass, and chains followed frame by frame); give e.g. 250 for a shot where what the object hides shows only later (an object that stands still, then leaves).",
            Kind::Int {
                default: 0,
                min: 0,
                max: 100_000,
            },
        )
        .unit(" frames")
        .faces(Faces::BATCH),
        Param::new(
            "fill",
            "Fill",
            FILL_HELP,
            Kind::Model {
                role: Role::Inpaint,
                default: "auto",
                builtins: BUILT_IN_FILLS,
            },
        ),
        Param::new(
            "reference",
            "Reference",
            "A clean frame painted by hand, `FRAME=IMAGE` (repeatable; frame numbers as the shot's): its picture is carried along the flow to the frames within [[window]] of it and fills their hole wherever it reaches and no nearer frame shows the background, before anything is invented. On its own frame it is used as painted.",
            Kind::Text {
                value_name: "FRAME=IMAGE",
                repeat: true,
            },
        )
        .faces(Faces::BATCH),
    ],
};

impl Described for RemoveParams {
    const TABLE: &'static Table = TABLE;
}

#[cfg(test)]
mod tests {
    use crate::remove::RemoveParams;

    #[test]
    fn defaults_are_the_released_ones() {
        assert_eq!(
            RemoveParams::default(),
            RemoveParams {
                mask: String::new(),
                dilate: 4,
                feather: 2,
                window: 12,
                fill: "auto".into(),
                reference: Vec::new(),
                reach: 0,
            }
        );
    }
}
