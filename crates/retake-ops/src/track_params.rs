//! The parameter table of keyframe tracking (`retake track`).

use crate::track::TrackParams;
use retake_core::params::{Described, Faces, Kind, Param, Table};

pub const TABLE: &Table = &Table {
    operation: "track",
    params: &[Param::new(
        "keyframes",
        "Keyframes",
        "The object on a few frames: FRAME=MASK[,FRAME=MASK...], where MASK is a picture of the shot's size (PNG, EXR or TIFF; white = object, or its alpha) or box:X,Y,W,H (pixels, from the top left), e.g. `0=dog.png,40=box:120,80,60,90`. Frames are the shot's numbers (a video counts from 0).",
        Kind::Text {
            value_name: "KEYFRAMES",
            repeat: false,
        },
    )
    .faces(Faces::BATCH)],
};

impl Described for TrackParams {
    const TABLE: &'static Table = TABLE;
}
