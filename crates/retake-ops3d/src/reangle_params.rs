//! The parameter table of reangle (`retake reangle`, `[reangle]`, Retake
//! Reangle).

use crate::reangle::ReangleParams;
use retake_core::params::{Choice, Described, Faces, Kind, Param, Table};
use retake_core::role::Role;
use retake_ops::remove_params::{BUILT_IN_FILLS, FILL_HELP};

const fn c(value: &'static str, label: &'static str) -> Choice {
    Choice { value, label }
}

pub const TABLE: &Table = &Table {
    operation: "reangle",
    params: &[
        Param::new(
            "yaw",
            "Yaw",
            "Turn the camera left/right in degrees (-60 to 60; positive pans right).",
            Kind::keyed(0.0, -60.0, 60.0).slider(-30.0, 30.0).angle(),
        )
        .unit("°")
        .animates(),
        Param::new(
            "pitch",
            "Pitch",
            "Tilt the camera in degrees (-60 to 60; positive tilts up).",
            Kind::keyed(0.0, -60.0, 60.0).slider(-30.0, 30.0).angle(),
        )
        .unit("°")
        .animates(),
        Param::new(
            "roll",
            "Roll",
            "Roll the camera in degrees (-180 to 180; positive turns the camera counter-clockwise, so the picture turns clockwise).",
            Kind::keyed(0.0, -180.0, 180.0).slider(-45.0, 45.0).angle(),
        )
        .unit("°")
        .animates(),
        Param::new(
            "dolly",
            "Dolly",
            "Move the camera forward (negative: back), in scene units: the depth pass's unit, or for relative depth the nearest surface is 1 away.",
            Kind::keyed(0.0, -1e4, 1e4).slider(-1.0, 1.0),
        )
        .animates(),
        Param::new(
            "truck",
            "Truck",
            "Move the camera right (negative: left), in scene units.",
            Kind::keyed(0.0, -1e4, 1e4).slider(-1.0, 1.0),
        )
        .animates(),
        Param::new(
            "pedestal",
            "Pedestal",
            "Move the camera up (negative: down), in scene units.",
            Kind::keyed(0.0, -1e4, 1e4).slider(-1.0, 1.0),
        )
        .animates(),
        Param::new(
            "zoom",
            "Zoom",
            "Focal length multiplier of the virtual camera (0.5 to 4; 2 = twice as long a lens, 1 = the shot's).",
            Kind::keyed(1.0, 0.5, 4.0),
        )
        .unit("x")
        .animates(),
        Param::new(
            "move",
            "Named move",
            "A named move over the whole shot (eased from the first frame to the last): orbit, push-in, pull-out, truck-left or truck-right; the camera values act on top of it.",
            Kind::Choice {
                default: None,
                options: &[
                    c("orbit", "orbit"),
                    c("push-in", "push-in"),
                    c("pull-out", "pull-out"),
                    c("truck-left", "truck-left"),
                    c("truck-right", "truck-right"),
                ],
                unset: Some("none"),
            },
        ),
        Param::new(
            "amount",
            "Amount",
            "Size of the named move (-5 to 5; 1 = orbit 10 degrees, push-in or pull-out 30% and truck 15% of the pivot distance).",
            Kind::float(1.0, -5.0, 5.0).slider(-2.0, 2.0),
        ),
        Param::new(
            "pivot",
            "Pivot",
            "Distance of the subject the named moves are built around, in scene units (the orbit's centre; the scale of push-in and truck).",
            Kind::float(2.0, 0.01, 1e4).slider(0.5, 10.0),
        ),
        Param::new(
            "fov",
            "Field of view",
            "Horizontal field of view of the shot's camera in degrees (10-120): how depth becomes 3D.",
            Kind::float(50.0, 10.0, 120.0),
        )
        .unit("°"),
        Param::new(
            "depth_model",
            "Depth model",
            "Depth when no pass is given: `auto` (an installed depth model, else the built-in layered estimate), `builtin`, or a depth model's name (or manifest path).",
            Kind::Model {
                role: Role::Depth,
                default: "auto",
                builtins: &["auto", "builtin"],
            },
        ),
        Param::new(
            "depth_range",
            "Depth range",
            "Scene depth range for relative depth (a learned model, an inverse depth pass, the built-in estimate): the farthest surface is this many times farther than the nearest (1.5-1000).",
            Kind::float(10.0, 1.5, 1000.0).slider(2.0, 100.0),
        ),
        Param::new(
            "depth_encoding",
            "Depth encoding",
            "How a depth pass stores depth: distance (larger = farther) or inverse (disparity, larger = nearer; scaled by [[depth_range]]).",
            Kind::Choice {
                default: Some("distance"),
                options: &[c("distance", "Distance"), c("inverse", "Inverse")],
                unset: None,
            },
        )
        .faces(Faces::BATCH),
        Param::new(
            "alpha",
            "Alpha",
            "What the frames' alpha carries: the subject's matte, a depth pass, or nothing to use.",
            Kind::Choice {
                default: Some("matte"),
                options: &[c("matte", "Matte"), c("depth", "Depth"), c("ignore", "Ignore")],
                unset: None,
            },
        )
        .faces(Faces::BATCH),
        Param::new(
            "horizon",
            "Horizon",
            "Height of the built-in ground plane's horizon, as a fraction of the frame from the top (0-1).",
            Kind::float(0.4, 0.0, 1.0),
        ),
        Param::new(
            "depth_edge",
            "Depth edge",
            "Relative depth difference between neighbouring pixels that counts as an edge the new view may look behind (0.005-1).",
            Kind::float(0.04, 0.005, 1.0).slider(0.005, 0.3),
        ),
        Param::new(
            "window",
            "Window",
            "Frames on each side searched for what a disocclusion hides (0 = spatial fill only, at most 30); also the spacing of the frames whose invented fill the others follow.",
            Kind::Int {
                default: 6,
                min: 0,
                max: retake_ops::remove::MAX_WINDOW as i64,
            },
        )
        .unit(" frames"),
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
            "matte",
            "Subject matte",
            "The subject's matte stands it on the ground in the built-in geometry; unused with a Depth input or a depth model.",
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

impl Described for ReangleParams {
    const TABLE: &'static Table = TABLE;
}

#[cfg(test)]
mod tests {
    use crate::passes::DepthEncoding;
    use crate::reangle::{ReangleAlpha, ReangleParams};

    #[test]
    fn defaults_are_the_released_ones() {
        assert_eq!(
            ReangleParams::default(),
            ReangleParams {
                yaw: None,
                pitch: None,
                roll: None,
                dolly: None,
                truck: None,
                pedestal: None,
                zoom: None,
                camera_move: None,
                amount: 1.0,
                pivot: 2.0,
                fov: 50.0,
                depth_model: "auto".into(),
                depth_range: 10.0,
                depth_encoding: DepthEncoding::Distance,
                alpha: ReangleAlpha::Matte,
                horizon: 0.4,
                depth_edge: 0.04,
                window: 6,
                fill: "auto".into(),
            }
        );
    }
}
