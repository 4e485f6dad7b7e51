//! The pinhole camera every operation that lifts pixels to 3D uses: a
//! horizontal field of view, pixel centres at integers, camera space with
//! x to the right, y up and z towards the camera (OpenGL, Blender and Nuke
//! camera space). Depth is the distance along the view axis.

/// Focal length in pixels of a pinhole `width` pixels wide with a
/// horizontal field of view of `fov_deg`.
pub fn focal_length(width: usize, fov_deg: f32) -> f32 {
    let half = (fov_deg as f64).to_radians() / 2.0;
    (width as f64 / 2.0 / half.tan()) as f32
}

/// Camera-space point seen at pixel `(x, y)` (pixel centres at integers,
/// top row 0) at `depth`.
#[inline]
pub fn back_project(
    x: f32,
    y: f32,
    depth: f32,
    width: usize,
    height: usize,
    focal: f32,
) -> [f32; 3] {
    let u = x + 0.5 - width as f32 / 2.0;
    let v = y + 0.5 - height as f32 / 2.0;
    [u * depth / focal, -v * depth / focal, -depth]
}

/// Pixel position of a camera-space point (the inverse of
/// [`back_project`]); `None` behind the camera.
#[inline]
pub fn project(p: [f32; 3], width: usize, height: usize, focal: f32) -> Option<(f32, f32)> {
    let d = -p[2];
    if d <= 0.0 {
        return None;
    }
    Some((
        p[0] * focal / d + width as f32 / 2.0 - 0.5,
        -p[1] * focal / d + height as f32 / 2.0 - 0.5,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_inverts_back_projection() {
        let f = focal_length(64, 60.0);
        let p = back_project(10.25, 40.5, 3.0, 64, 48, f);
        let (x, y) = project(p, 64, 48, f).unwrap();
        assert!((x - 10.25).abs() < 1e-4 && (y - 40.5).abs() < 1e-4);
    }
}
