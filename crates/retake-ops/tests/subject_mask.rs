//! The subject-mask operation with the real bundled u2netp model (extracted
//! by scripts/setup.sh) on a synthetic shot with a known subject: a lit
//! sphere-like disc moving over a textured, static background.

mod common;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use retake_core::pipeline::{self, PipelineOptions};
use retake_core::{ClipInfo, Frame, FrameSource, Result};
use retake_model::{self as model, ModelContext, Provider, Role};
use retake_ops::mask::{MaskOutput, MaskParams, SubjectMask};

use common::Collect;

const W: usize = 480;
const H: usize = 270;

fn checkout() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn context() -> ModelContext {
    ModelContext {
        dirs: vec![checkout().join("models")],
        library: vec![checkout().join(".deps/onnxruntime/libonnxruntime.so.1.31.1")],
        providers: vec![Provider::Cpu],
        threads: 2,
        colour: None,
    }
}

/// Disc centre of frame `t`.
fn centre(t: i64) -> (f32, f32) {
    (200.0 + 6.0 * t as f32, 135.0)
}

const RADIUS: f32 = 70.0;

fn shot_frame(t: i64) -> Frame {
    let (cx, cy) = centre(t);
    let mut data = Vec::with_capacity(W * H * 3);
    for y in 0..H {
        for x in 0..W {
            let (dx, dy) = (x as f32 - cx, y as f32 - cy);
            let r = (dx * dx + dy * dy).sqrt() / RADIUS;
            if r <= 1.0 {
                // Shaded orange ball.
                let shade = 0.35 + 0.65 * (1.0 - r * r).sqrt();
                data.extend_from_slice(&[0.9 * shade, 0.35 * shade, 0.05 * shade]);
            } else {
                // Dim, low-contrast stripes.
                let v = 0.04 + 0.015 * (((x / 12) + (y / 12)) % 2) as f32;
                data.extend_from_slice(&[v, v, v * 1.1]);
            }
        }
    }
    Frame::from_data(t, W, H, 3, data).unwrap()
}

struct Shot {
    next: i64,
    n: i64,
    info: ClipInfo,
}

impl FrameSource for Shot {
    fn info(&self) -> &ClipInfo {
        &self.info
    }
    fn next_frame(&mut self) -> Result<Option<Frame>> {
        if self.next >= self.n {
            return Ok(None);
        }
        self.next += 1;
        Ok(Some(shot_frame(self.next - 1)))
    }
}

#[test]
fn finds_the_subject_and_follows_its_edge() {
    let ctx = context();
    let model = model::open("u2netp", Role::Mask, &ctx).expect("u2netp (run scripts/setup.sh)");
    let op = SubjectMask::new(MaskParams::default(), model).unwrap();
    let n = 5;
    let mut shot = Shot {
        next: 0,
        n,
        info: ClipInfo::in_memory("synthetic-ball", W, H, Some(n as u64)),
    };
    let out = Arc::new(Mutex::new(Vec::new()));
    pipeline::run(
        &mut shot,
        &op,
        Box::new(Collect(out.clone())),
        &PipelineOptions::default(),
    )
    .unwrap();
    let masks = out.lock().unwrap();
    assert_eq!(masks.len(), n as usize);
    for m in masks.iter() {
        assert_eq!((m.width, m.height, m.channels), (W, H, 1));
        let (cx, cy) = centre(m.index);
        let (mut inter, mut union, mut near_edge_wrong, mut near_edge) = (0, 0, 0, 0);
        for y in 0..H {
            for x in 0..W {
                let r = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
                let truth = r <= RADIUS;
                let said = m.data[y * W + x] > 0.5;
                inter += (truth && said) as u32;
                union += (truth || said) as u32;
                // Pixels 3-6 px from the edge must be right: the guided
                // filter puts the edge where the picture has it.
                if (r - RADIUS).abs() > 3.0 && (r - RADIUS).abs() <= 6.0 {
                    near_edge += 1;
                    near_edge_wrong += (truth != said) as u32;
                }
            }
        }
        let iou = inter as f32 / union as f32;
        assert!(iou > 0.9, "frame {}: IoU {iou}", m.index);
        let wrong = near_edge_wrong as f32 / near_edge as f32;
        assert!(
            wrong < 0.05,
            "frame {}: {wrong} of near-edge pixels wrong",
            m.index
        );
    }
}

/// A host that makes an instance per frame opens the model each time: the
/// second opening shares the first one's session (verified and opened once
/// per process), while other settings get a session of their own.
#[test]
fn opening_a_model_again_shares_its_session() {
    let ctx = context();
    let a = retake_model::open("u2netp", Role::Mask, &ctx).unwrap();
    let b = retake_model::open("u2netp", Role::Mask, &ctx).unwrap();
    assert!(a.shares_session_with(&b));
    let other = ModelContext {
        threads: 1,
        ..context()
    };
    let c = retake_model::open("u2netp", Role::Mask, &other).unwrap();
    assert!(!a.shares_session_with(&c));
    // The shared session still runs: both give the same subject.
    let input = vec![0.5f32; 3 * 320 * 320];
    let run = |m: &retake_model::Model| {
        m.run(vec![retake_model::Tensor::f32(
            vec![1, 3, 320, 320],
            input.clone(),
        )])
        .unwrap()[0]
            .to_f32()
    };
    assert_eq!(run(&a), run(&b));
}

/// ONNX Runtime's CPU arena hands one run's activation memory to the next
/// (retake_model::runtime turns it on): a frame's saliency must not depend
/// on what ran before it on the same session, nor on the intra-op thread
/// count (1 and 2 threads give the same bits).
#[test]
fn runs_on_reused_memory_give_the_same_bits() {
    let two = retake_model::open("u2netp", Role::Mask, &context()).unwrap();
    let one = retake_model::open(
        "u2netp",
        Role::Mask,
        &ModelContext {
            threads: 1,
            ..context()
        },
    )
    .unwrap();
    // Deterministic textures that differ between seeds.
    let picture = |seed: usize| -> Vec<f32> {
        (0..3 * 320 * 320)
            .map(|i| ((i * 7919 + seed * 104_729) % 1000) as f32 / 1000.0)
            .collect()
    };
    let run = |m: &retake_model::Model, input: Vec<f32>| -> Vec<u32> {
        m.run(vec![retake_model::Tensor::f32(vec![1, 3, 320, 320], input)])
            .unwrap()[0]
            .to_f32()
            .iter()
            .map(|v| v.to_bits())
            .collect()
    };
    let first = run(&two, picture(1));
    let other = run(&two, picture(2));
    let again = run(&two, picture(1));
    assert_ne!(first, other, "different pictures must give different maps");
    assert!(
        first == again,
        "a run after another picture changed the map"
    );
    assert!(
        first == run(&one, picture(1)),
        "1 and 2 intra-op threads disagree"
    );
}

/// The mask alone is fitted to an edge guide made when each frame is
/// analysed (the decoded frame is let go early); the alpha output keeps the
/// frames and makes the guide when it renders. Both give the same bits.
#[test]
fn mask_from_kept_guides_matches_the_alpha_made_from_frames() {
    let ctx = context();
    let model = || model::open("u2netp", Role::Mask, &ctx).expect("u2netp (run scripts/setup.sh)");
    let n = 4;
    let render = |mode: MaskOutput| {
        let params = MaskParams {
            mode,
            ..MaskParams::default()
        };
        let op = SubjectMask::new(params, model()).unwrap();
        let mut shot = Shot {
            next: 0,
            n,
            info: ClipInfo::in_memory("synthetic-ball", W, H, Some(n as u64)),
        };
        let out = Arc::new(Mutex::new(Vec::new()));
        pipeline::run(
            &mut shot,
            &op,
            Box::new(Collect(out.clone())),
            &PipelineOptions::default(),
        )
        .unwrap();
        let frames = out.lock().unwrap().clone();
        frames
    };
    let masks = render(MaskOutput::Mask);
    let alphas = render(MaskOutput::Alpha);
    assert_eq!(masks.len(), n as usize);
    assert_eq!(alphas.len(), n as usize);
    for (m, a) in masks.iter().zip(&alphas) {
        assert_eq!((m.index, m.channels, a.channels), (a.index, 1, 4));
        let same = m
            .data
            .iter()
            .zip(a.data.chunks_exact(4))
            .all(|(v, p)| v.to_bits() == p[3].to_bits());
        assert!(same, "frame {}: mask and alpha differ", m.index);
    }
}
