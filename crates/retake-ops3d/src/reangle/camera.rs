//! The virtual camera: where it stands and looks relative to the real one,
//! frame by frame, from explicit values (yaw, pitch, roll, dolly, truck,
//! pedestal, zoom; each constant or keyframed) and simple named moves.
//!
//! Everything is in the *source camera's* space (x right, y up, z towards
//! the viewer, as in [`crate::relight::geometry`]), so the identity pose is
//! exactly the shot's own camera and a pose is a small, readable change of
//! it. Lengths are scene units: the depth pass's own unit, or, for relative
//! depth (a learned model, the built-in estimate), the nearest surface is 1.

use serde::{Deserialize, Serialize};

/// A rotation matrix, row-major.
pub type Mat3 = [[f64; 3]; 3];

const IDENTITY: Mat3 = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

fn mul(a: &Mat3, b: &Mat3) -> Mat3 {
    let mut m = [[0.0; 3]; 3];
    for (i, row) in m.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    m
}

fn apply(m: &Mat3, v: [f64; 3]) -> [f64; 3] {
    [
        m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2],
        m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
        m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2],
    ]
}

fn rot_x(deg: f64) -> Mat3 {
    let (s, c) = deg.to_radians().sin_cos();
    [[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]]
}

fn rot_y(deg: f64) -> Mat3 {
    let (s, c) = deg.to_radians().sin_cos();
    [[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]]
}

fn rot_z(deg: f64) -> Mat3 {
    let (s, c) = deg.to_radians().sin_cos();
    [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]
}

/// A simple camera move over the whole shot, scaled by an amount: it
/// starts at the shot's first frame and reaches its full extent at the
/// last, eased in and out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NamedMove {
    /// Circle around the subject (a point `pivot` away on the view axis),
    /// keeping it centred: amount 1 = 10 degrees to the right.
    Orbit,
    /// Move towards the subject: amount 1 = 30% of the pivot distance.
    PushIn,
    /// Move away from the subject: amount 1 = 30% of the pivot distance.
    PullOut,
    /// Slide left, parallel to the picture: amount 1 = 15% of the pivot distance.
    TruckLeft,
    /// Slide right, parallel to the picture: amount 1 = 15% of the pivot distance.
    TruckRight,
}

impl NamedMove {
    /// Every move's name, for messages.
    pub const NAMES: &'static str = "orbit, push-in, pull-out, truck-left, truck-right";

    /// Camera-to-source rotation and position of the move at progress `s`
    /// (0..1 of the way through the shot) scaled by `amount`, for a subject
    /// `pivot` away.
    fn pose(self, s: f64, amount: f64, pivot: f64) -> (Mat3, [f64; 3]) {
        let a = s * amount;
        match self {
            NamedMove::Orbit => {
                // Positive = the camera moves right around the pivot and
                // turns left to keep looking at it.
                let theta = 10.0 * a;
                let r = rot_y(theta);
                let p = apply(&r, [0.0, 0.0, pivot]);
                (r, [p[0], p[1], p[2] - pivot])
            }
            NamedMove::PushIn => (IDENTITY, [0.0, 0.0, -0.3 * a * pivot]),
            NamedMove::PullOut => (IDENTITY, [0.0, 0.0, 0.3 * a * pivot]),
            NamedMove::TruckLeft => (IDENTITY, [-0.15 * a * pivot, 0.0, 0.0]),
            NamedMove::TruckRight => (IDENTITY, [0.15 * a * pivot, 0.0, 0.0]),
        }
    }
}

/// The virtual camera of one frame, relative to the real one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pose {
    /// Camera-to-source rotation: columns are the virtual camera's axes
    /// in the source camera's space.
    pub rotation: Mat3,
    /// The virtual camera's centre in the source camera's space.
    pub position: [f64; 3],
    /// Focal length of the virtual camera over the real one's (zoom).
    pub zoom: f64,
}

/// Values of one frame, keyframes evaluated.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CameraValues {
    pub yaw: f64,
    pub pitch: f64,
    pub roll: f64,
    pub dolly: f64,
    pub truck: f64,
    pub pedestal: f64,
    pub zoom: f64,
}

impl Pose {
    /// The real camera itself: rendering through it gives the shot back.
    pub fn identity() -> Pose {
        Pose {
            rotation: IDENTITY,
            position: [0.0; 3],
            zoom: 1.0,
        }
    }

    /// Exactly the real camera (no tolerance: a keyframe that passes
    /// through zero returns the source pixels there, bit for bit).
    pub fn is_identity(&self) -> bool {
        self.rotation == IDENTITY && self.position == [0.0; 3] && self.zoom == 1.0
    }

    /// Compose a named move (at progress `s`, 0..1) with explicit values,
    /// which act in the moved camera's own frame: yaw > 0 pans right,
    /// pitch > 0 tilts up, roll > 0 turns the camera counter-clockwise
    /// (the picture turns clockwise), dolly > 0 moves forward, truck > 0
    /// right, pedestal > 0 up; zoom multiplies the focal length.
    pub fn compose(named: Option<(NamedMove, f64, f64)>, s: f64, v: &CameraValues) -> Pose {
        let (rm, cm) = match named {
            Some((m, amount, pivot)) => m.pose(s, amount, pivot),
            None => (IDENTITY, [0.0; 3]),
        };
        // Exact zeros give exact identity matrices, so a still camera is
        // recognised as one.
        let mut re = IDENTITY;
        if v.yaw != 0.0 {
            re = mul(&re, &rot_y(-v.yaw));
        }
        if v.pitch != 0.0 {
            re = mul(&re, &rot_x(v.pitch));
        }
        if v.roll != 0.0 {
            re = mul(&re, &rot_z(v.roll));
        }
        let local = [v.truck, v.pedestal, -v.dolly];
        let moved = apply(&rm, local);
        Pose {
            rotation: if rm == IDENTITY { re } else { mul(&rm, &re) },
            position: [cm[0] + moved[0], cm[1] + moved[1], cm[2] + moved[2]],
            zoom: v.zoom,
        }
    }

    /// A source-camera point in the virtual camera's space.
    #[inline]
    pub fn to_camera(&self, p: [f64; 3]) -> [f64; 3] {
        let d = [
            p[0] - self.position[0],
            p[1] - self.position[1],
            p[2] - self.position[2],
        ];
        let r = &self.rotation;
        // Transpose: source -> camera.
        [
            r[0][0] * d[0] + r[1][0] * d[1] + r[2][0] * d[2],
            r[0][1] * d[0] + r[1][1] * d[1] + r[2][1] * d[2],
            r[0][2] * d[0] + r[1][2] * d[1] + r[2][2] * d[2],
        ]
    }

    /// The virtual camera's point, back in the source camera's space.
    #[inline]
    pub fn to_source(&self, p: [f64; 3]) -> [f64; 3] {
        let q = apply(&self.rotation, p);
        [
            q[0] + self.position[0],
            q[1] + self.position[1],
            q[2] + self.position[2],
        ]
    }

    /// The part of the virtual frame that the real camera saw, for a
    /// scene that is a wall facing the camera `distance` away: 1 = all of
    /// it, 0 = none. Cheap (a grid of rays), so a move can be checked
    /// before any frame is read.
    pub fn coverage(&self, width: usize, height: usize, focal: f64, distance: f64) -> f64 {
        const N: usize = 24;
        let (w, h) = (width as f64, height as f64);
        let f2 = focal * self.zoom;
        let mut seen = 0usize;
        for j in 0..N {
            for i in 0..N {
                let u = (i as f64 + 0.5) / N as f64 * w - w / 2.0;
                let v = (j as f64 + 0.5) / N as f64 * h - h / 2.0;
                // The ray through this pixel, in source space.
                let dir = apply(&self.rotation, [u / f2, -v / f2, -1.0]);
                if dir[2] >= -1e-9 {
                    continue;
                }
                let t = (-distance - self.position[2]) / dir[2];
                if t <= 0.0 {
                    continue;
                }
                let x = self.position[0] + t * dir[0];
                let y = self.position[1] + t * dir[1];
                let (sx, sy) = (x * focal / distance, -y * focal / distance);
                if sx.abs() <= w / 2.0 && sy.abs() <= h / 2.0 {
                    seen += 1;
                }
            }
        }
        seen as f64 / (N * N) as f64
    }
}

/// Ease in and out between the shot's first and last frame: moves start
/// and stop gently, as a camera operator's do.
pub fn progress(frame: i64, shot: Option<(i64, i64)>) -> f64 {
    match shot {
        Some((first, last)) if last > first => {
            let t = ((frame - first) as f64 / (last - first) as f64).clamp(0.0, 1.0);
            t * t * (3.0 - 2.0 * t)
        }
        _ => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: [f64; 3], b: [f64; 3]) -> bool {
        a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-9)
    }

    #[test]
    fn conventions_follow_the_documentation() {
        let values = |f: &dyn Fn(&mut CameraValues)| {
            let mut v = CameraValues {
                zoom: 1.0,
                ..CameraValues::default()
            };
            f(&mut v);
            Pose::compose(None, 1.0, &v)
        };
        // Pan right: the view axis turns towards +x.
        let p = values(&|v| v.yaw = 10.0);
        assert!(p.to_source([0.0, 0.0, -1.0])[0] > 0.0);
        // Tilt up: towards +y.
        let p = values(&|v| v.pitch = 10.0);
        assert!(p.to_source([0.0, 0.0, -1.0])[1] > 0.0);
        // Dolly forward: the centre moves to -z.
        let p = values(&|v| v.dolly = 0.5);
        assert!(close(p.position, [0.0, 0.0, -0.5]));
        let p = values(&|v| {
            v.truck = 0.2;
            v.pedestal = 0.1;
        });
        assert!(close(p.position, [0.2, 0.1, 0.0]));
        assert!(values(&|_| {}).is_identity());
        // A round trip through the camera's space.
        let p = values(&|v| {
            v.yaw = 7.0;
            v.roll = -3.0;
            v.truck = 0.3;
        });
        let q = [0.3, -0.2, -2.0];
        assert!(close(p.to_source(p.to_camera(q)), q));
    }

    #[test]
    fn orbit_keeps_looking_at_the_pivot() {
        let v = CameraValues {
            zoom: 1.0,
            ..CameraValues::default()
        };
        let p = Pose::compose(Some((NamedMove::Orbit, 1.0, 2.0)), 1.0, &v);
        assert!(p.position[0] > 0.0, "moves right: {:?}", p.position);
        let pivot = p.to_camera([0.0, 0.0, -2.0]);
        assert!(pivot[0].abs() < 1e-9 && pivot[1].abs() < 1e-9 && pivot[2] < 0.0);
        let d = (pivot[2] * pivot[2]).sqrt();
        assert!((d - 2.0).abs() < 1e-9, "stays 2 away: {d}");
    }

    #[test]
    fn coverage_falls_with_the_move() {
        let f = 500.0;
        let id = Pose::identity();
        assert_eq!(id.coverage(640, 360, f, 2.0), 1.0);
        let mut v = CameraValues {
            zoom: 1.0,
            yaw: 60.0,
            ..CameraValues::default()
        };
        let far = Pose::compose(None, 1.0, &v);
        assert!(far.coverage(640, 360, f, 2.0) < 0.2);
        v.yaw = 5.0;
        let near = Pose::compose(None, 1.0, &v);
        assert!(near.coverage(640, 360, f, 2.0) > 0.8);
    }

    #[test]
    fn progress_eases_between_first_and_last() {
        assert_eq!(progress(0, Some((0, 10))), 0.0);
        assert_eq!(progress(10, Some((0, 10))), 1.0);
        assert!((progress(5, Some((0, 10))) - 0.5).abs() < 1e-12);
        assert_eq!(progress(3, None), 1.0);
    }
}
