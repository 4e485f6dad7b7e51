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
    let (u, v) = (from_centre(x, width), from_centre(y, height));
    [u * depth / focal, -v * depth / focal, -depth]
}

/// Offset of pixel coordinate `p` from the centre of a `size`-pixel axis.
#[inline]
fn from_centre(p: f32, size: usize) -> f32 {
    p + 0.5 - size as f32 / 2.0
}

/// [`back_project`]'s x and y for every pixel of row `y`, whose depths
/// are `depth`, into `xs` and `ys` (cleared first): the same values, a
/// row at a time in plain loops. Called per pixel inside a larger loop,
/// the compiler packs the two products into one vector register beside
/// lanes it never set, and stale bits there can be denormal numbers,
/// which cost the CPU a slow microcode path on every multiply and divide.
pub fn back_project_row(
    y: usize,
    depth: &[f32],
    width: usize,
    height: usize,
    focal: f32,
    xs: &mut Vec<f32>,
    ys: &mut Vec<f32>,
) {
    let minus_v = -from_centre(y as f32, height);
    xs.clear();
    xs.extend(
        depth
            .iter()
            .enumerate()
            .map(|(x, &d)| from_centre(x as f32, width) * d / focal),
    );
    ys.clear();
    ys.extend(depth.iter().map(|&d| minus_v * d / focal));
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

/// The same pinhole in f64 with its focal length fixed: for chains of
/// projections between cameras (reangle's warp and its view changes
/// between frames), where f32 rounding would add up. Same conventions as
/// [`back_project`] and [`project`]; the centre is `(width/2 - 0.5,
/// height/2 - 0.5)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pinhole {
    /// Focal length in pixels.
    pub focal: f64,
    /// The picture's centre, in pixels.
    pub cx: f64,
    pub cy: f64,
}

impl Pinhole {
    pub fn new(width: usize, height: usize, focal: f64) -> Pinhole {
        Pinhole {
            focal,
            cx: width as f64 / 2.0 - 0.5,
            cy: height as f64 / 2.0 - 0.5,
        }
    }

    /// Camera-space point seen at pixel `(x, y)` at `depth`.
    #[inline]
    pub fn back_project(&self, x: f64, y: f64, depth: f64) -> [f64; 3] {
        [
            (x - self.cx) * depth / self.focal,
            -(y - self.cy) * depth / self.focal,
            -depth,
        ]
    }

    /// Pixel position of a camera-space point and its depth; `None`
    /// behind the camera.
    #[inline]
    pub fn project(&self, p: [f64; 3]) -> Option<(f64, f64, f64)> {
        let d = -p[2];
        if d <= 0.0 {
            return None;
        }
        Some((
            p[0] * self.focal / d + self.cx,
            -p[1] * self.focal / d + self.cy,
            d,
        ))
    }
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
        // The f64 form agrees with the f32 one and inverts itself.
        let cam = Pinhole::new(64, 48, f as f64);
        let q = cam.back_project(10.25, 40.5, 3.0);
        for (a, b) in q.iter().zip(&p) {
            assert!((*a as f32 - b).abs() < 1e-5, "{q:?} {p:?}");
        }
        let (x, y, d) = cam.project(q).unwrap();
        assert!((x - 10.25).abs() < 1e-9 && (y - 40.5).abs() < 1e-9 && (d - 3.0).abs() < 1e-12);
        assert!(cam.project([0.0, 0.0, 1.0]).is_none());
    }

    #[test]
    fn a_row_back_projects_to_the_same_bits_as_each_pixel() {
        let (w, h) = (37, 21);
        let f = focal_length(w, 53.0);
        let depth: Vec<f32> = (0..w)
            .map(|x| 0.37 + 1.913 * x as f32 + 1e-3 * (x * x) as f32)
            .collect();
        let (mut xs, mut ys) = (vec![9.0; 3], Vec::new());
        for y in [0, 7, h - 1] {
            back_project_row(y, &depth, w, h, f, &mut xs, &mut ys);
            assert_eq!((xs.len(), ys.len()), (w, w));
            for (x, &d) in depth.iter().enumerate() {
                let p = back_project(x as f32, y as f32, d, w, h, f);
                assert_eq!(
                    (xs[x].to_bits(), ys[x].to_bits()),
                    (p[0].to_bits(), p[1].to_bits())
                );
            }
        }
    }
}
