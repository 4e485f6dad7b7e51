//! `retake relight`: add light to a shot from its geometry.

use std::sync::Mutex;

use retake_core::{ClipInfo, ColourTags, Error, Frame, FrameRange, FrameSource, Result, Transfer};
use retake_media::layers::{Layer, LayerSequence};
use retake_media::{SinkOptions, SourceOptions};
use retake_model::provenance::{InputRecord, Provenance};
use retake_ops::matte::{check_pass_covers, pass_offset, MatteValues};
use retake_ops3d::relight::preview::preset_grid;
use retake_ops3d::relight::{presets, AlphaRole, Geometry, NormalEncoding, Relight, RelightPasses};

use super::{check_output, open_input, run_operation, OutputPlan};
use crate::args::{GlobalArgs, RelightArgs};
use crate::context::Models;

pub fn run(a: &RelightArgs, global: &GlobalArgs) -> Result<i32> {
    let mut params = a.params.0.clone();
    let inputs = &a.inputs;
    let alpha = super::alpha_input(inputs.mask.as_deref(), inputs.depth.as_deref())?;
    let auto = alpha.auto;
    let matte = alpha.attach;
    if matte.is_some() {
        params.alpha = if alpha.depth {
            AlphaRole::Depth
        } else {
            AlphaRole::Matte
        };
    }
    params.validate()?;
    let mut record = Provenance::new("relight", &params);
    let mut models = Models::for_io(global, &a.io);
    // Geometry, best first: passes, a depth model, the built-in estimate.
    let geometry_given = inputs.depth.is_some() || inputs.normals.is_some();
    let built =
        retake_ops3d::build::relight(&params, auto, geometry_given, &mut || models.context())?;
    record.models.extend(built.models);
    let normals = inputs
        .normals
        .as_deref()
        .map(|path| NormalPass::open(path, &a.io.input, inputs.normal_encoding, a.io.mask_offset))
        .transpose()?;
    if let Some(n) = &normals {
        record.inputs.push(InputRecord::new("normals", &n.path));
    }
    let mut op = built.op;
    if let Some(n) = normals {
        op = op.with_passes(Box::new(move |frame: &Frame| n.geometry(frame).map(Some)));
    }
    if inputs.preview {
        return preview(a, &op, matte, record);
    }
    if let Some(pattern) = &inputs.passes {
        let range = a.io.frames.as_deref().map(FrameRange::parse).transpose()?;
        let sequence = Mutex::new(LayerSequence::create_for(
            pattern,
            a.io.overwrite,
            range.as_ref(),
        )?);
        op = op.with_pass_writer(Box::new(move |p: &RelightPasses| {
            let mut seq = sequence.lock().unwrap_or_else(|e| e.into_inner());
            seq.write(
                p.normals.index,
                &[
                    Layer::new(["N.x", "N.y", "N.z"], &p.normals),
                    Layer::new(["Z"], &p.depth),
                    Layer::new(["shading.R", "shading.G", "shading.B"], &p.shading),
                ],
            )
        }));
    }
    let keep_alpha = params.alpha == AlphaRole::Keep;
    run_operation(&a.io, matte, global, &op, record, |info| {
        let mut info = info.clone();
        // A matte or depth in alpha is consumed; the picture's own is kept
        // only with --alpha keep.
        info.has_alpha = keep_alpha && info.has_alpha;
        OutputPlan {
            info,
            transfer: None,
        }
    })?;
    Ok(0)
}

/// The presets on the first, middle and last frames, as one picture.
fn preview(
    a: &RelightArgs,
    op: &Relight,
    matte: Option<(&str, MatteValues)>,
    mut record: Provenance,
) -> Result<i32> {
    let one_image = retake_media::sequence::ImageKind::from_path(&a.io.output).is_some()
        && !retake_media::is_sequence_pattern(&a.io.output);
    if !one_image {
        return Err(Error::parameter(
            "preview",
            format!(
                "the contact sheet is one picture, but `{}` does not name one image; \
                 use a .png, .exr or .tif name such as sheet.png",
                a.io.output
            ),
        ));
    }
    check_output(&a.io.output, a.io.overwrite)?;
    let identity = super::provenance::signing_identity(&a.io)?;
    let mut source = open_input(&a.io, matte, &mut record)?;
    let info = source.info().clone();
    let first = info.first_frame;
    let mut picks = vec![first];
    if let Some(last) = info.last_frame() {
        picks.extend([first + (last - first) / 2, last]);
    }
    picks.dedup();
    let mut frames = Vec::new();
    for index in picks {
        source.seek(index)?;
        if let Some(f) = source.next_frame()? {
            frames.push(f);
        }
    }
    let grid = preset_grid(&frames, op, 320)?;
    let mut sheet = ClipInfo::in_memory(&a.io.output, grid.width, grid.height, Some(1));
    sheet.colour = ColourTags::srgb_image();
    // With a colour config the sheet goes out as the shot does (the
    // output space or display/view), through OpenColorIO.
    let colour = super::colour::plan(&a.io)?;
    let sink = retake_media::create_sink(
        &a.io.output,
        &sheet,
        &SinkOptions {
            codec: None,
            transfer: Some(match colour {
                Some(_) => Transfer::Linear,
                None => Transfer::Srgb,
            }),
            crf: None,
            threads: 0,
            carry: None,
            bit_depth: Default::default(),
        },
    )?;
    let mut sink = super::colour::wrap_sink(sink, colour.as_deref());
    sink.write(&grid)?;
    sink.finish()?;
    record.output = a.io.output.clone();
    record.frames = Some(
        frames
            .iter()
            .map(|f| f.index.to_string())
            .collect::<Vec<_>>()
            .join(","),
    );
    record.frames_written = 1;
    super::write_provenance(&a.io.output, &record)?;
    super::provenance::sign_outputs(identity.as_ref(), &record, || {
        Ok(vec![retake_c2pa::OutputFile {
            path: a.io.output.clone().into(),
            frame: None,
        }])
    })?;
    let columns: Vec<String> = frames.iter().map(|f| f.index.to_string()).collect();
    eprintln!(
        "relight: wrote {}: rows original, {}; columns frames {}",
        a.io.output,
        presets::names().join(", "),
        columns.join(", ")
    );
    Ok(0)
}

/// The user's normal pass, read frame by frame as the analysis workers ask
/// (in roughly increasing order, so a sequence or video is mostly read
/// straight through; a still serves every frame).
struct NormalPass {
    path: String,
    encoding: NormalEncoding,
    /// Pass frame = shot frame + offset (`matte::pass_offset`).
    offset: i64,
    still: Option<Frame>,
    source: Mutex<(Box<dyn FrameSource>, i64)>,
}

impl NormalPass {
    /// Open the pass and check it against the shot before anything is
    /// written: same size, a frame for every frame (or one still).
    fn open(
        path: &str,
        shot: &str,
        encoding: NormalEncoding,
        mask_offset: Option<i64>,
    ) -> Result<NormalPass> {
        let shot = retake_media::probe(shot)?;
        let mut source = retake_media::open_source(path, &SourceOptions::pass("N"))?;
        let info = source.info().clone();
        if (info.width, info.height) != (shot.width, shot.height) {
            return Err(Error::input(
                path,
                format!(
                    "normal pass is {}x{} but the shot {} is {}x{}; give a pass of the shot's size",
                    info.width, info.height, shot.path, shot.width, shot.height
                ),
            ));
        }
        let offset = pass_offset(&shot, &info, mask_offset);
        let still = if info.frames == Some(1) {
            source.next_frame()?
        } else {
            check_pass_covers(&shot, &info, offset, "normal pass")?;
            None
        };
        Ok(NormalPass {
            path: path.to_string(),
            encoding,
            offset,
            still,
            source: Mutex::new((source, info.first_frame)),
        })
    }

    /// The geometry of shot frame `frame` from its pass frame.
    fn geometry(&self, frame: &Frame) -> Result<Geometry> {
        let pass = match &self.still {
            Some(p) => p.clone(),
            None => {
                let want = frame.index + self.offset;
                let mut guard = self.source.lock().unwrap_or_else(|e| e.into_inner());
                let (source, next) = &mut *guard;
                if *next != want {
                    source.seek(want)?;
                }
                let p = source.next_frame()?.ok_or_else(|| {
                    Error::input(
                        self.path.as_str(),
                        format!("normal pass ended before shot frame {}", frame.index),
                    )
                })?;
                *next = p.index + 1;
                p
            }
        };
        Geometry::from_normal_pass(&self.path, &pass, frame.width, frame.height, self.encoding)
    }
}
