//! The job a model does inside an operation: named by model manifests and by
//! the parameter tables' model menus, so it lives below both.

use serde::{Deserialize, Serialize};

/// What job a model does inside an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Subject / salient-object segmentation.
    Mask,
    /// Fills holes in a picture.
    Inpaint,
    /// Relative or metric depth.
    Depth,
    /// Optical flow between two frames.
    Flow,
    /// Direct relighting.
    Relight,
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            Role::Mask => "mask",
            Role::Inpaint => "inpaint",
            Role::Depth => "depth",
            Role::Flow => "flow",
            Role::Relight => "relight",
        };
        f.write_str(s)
    }
}
