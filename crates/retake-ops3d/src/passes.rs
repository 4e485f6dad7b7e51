//! How passes supplied by the user (a depth clip, a renderer's Z pass)
//! store their values: read the same way by relight and reangle.

use serde::{Deserialize, Serialize};

/// How a depth pass stores depth.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DepthEncoding {
    /// Distance from the camera (a renderer's Z pass): larger = farther.
    #[default]
    Distance,
    /// Inverse depth or disparity (what learned depth models give):
    /// larger = nearer. Read as `1 / value`; a model's unknown offset is
    /// not recovered.
    Inverse,
}
