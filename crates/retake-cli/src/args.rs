//! Every command and flag of `retake`, with its help text, defined once.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use retake_ops::mask::MaskParams;
use retake_ops::remove::RemoveParams;
use retake_ops::track::TrackParams;
use retake_ops3d::reangle::ReangleParams;
use retake_ops3d::relight::{NormalEncoding, RelightParams};
use serde::Deserialize;

use crate::progress::ProgressMode;
use crate::table_args::{serde_value, TableArgs};

/// Retake: on-premises video-to-video editing for post-production.
#[derive(Debug, Parser)]
#[command(name = "retake", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Execution providers in order of preference (tensorrt, cuda, cpu).
    #[arg(
        long,
        global = true,
        default_value = "tensorrt,cuda,cpu",
        env = "RETAKE_PROVIDERS"
    )]
    pub providers: String,
    /// Worker threads (0 = one per core).
    #[arg(long, global = true, default_value_t = 0)]
    pub threads: usize,
    /// Print only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Print more about what is happening (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// How progress is shown: `auto` prints OpenJD lines inside an Open Job
    /// Description session, a bar on a terminal and plain lines otherwise;
    /// `percent` prints `Progress: N%` lines for regex-based handlers
    /// (Deadline).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t = ProgressMode::Auto,
        env = "RETAKE_PROGRESS"
    )]
    pub progress: ProgressMode,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the stream facts of a video or image sequence.
    Probe(ProbeArgs),
    /// Check the installation: ONNX Runtime, execution providers, FFmpeg, models.
    Doctor,
    /// List, inspect, verify and fetch models.
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Make subject masks (automatic segmentation, stable over time).
    Mask(MaskArgs),
    /// Track an object through a shot from masks (or boxes) painted on a
    /// few keyframes: carried along optical flow forwards and backwards,
    /// snapped to the picture, re-anchored at every keyframe. Writes a
    /// mask sequence or video that `remove --mask` takes.
    Track(TrackArgs),
    /// Remove an object, rig or logo from a shot: fill the mask from the
    /// frames that see behind it, and invent only what no frame shows.
    Remove(RemoveArgs),
    /// Relight a shot: add directional or point lights, rim and ambient, or
    /// a time-of-day look, shading the picture from estimated or given depth.
    Relight(Box<RelightArgs>),
    /// An alternate camera angle: move the camera (yaw, pitch, roll,
    /// dolly, truck, pedestal, zoom, or a named move) by reprojecting the
    /// shot through its depth; what the shot never saw is filled from the
    /// frames that saw it, then from the background side.
    Reangle(Box<ReangleArgs>),
    /// Convert a clip between formats through Retake's float pipeline.
    Convert(ConvertArgs),
    /// Run a job file (TOML): the same operations and parameters as the
    /// commands, for farms and pipelines.
    Run(RunArgs),
    /// Render a job on a farm: write an Open Job Description template or
    /// Slurm batch scripts, or print the command lines for Deadline and
    /// OpenCue. Every chunk runs `retake run JOB --frames A-B`.
    #[command(subcommand)]
    Farm(FarmCommand),
    /// List an OpenColorIO config's colour spaces, roles, displays and views.
    Colorspaces(ColorspacesArgs),
    /// Content Credentials (C2PA): make a test signing identity, show an
    /// output's signed manifest in words, verify it.
    #[command(subcommand)]
    Provenance(ProvenanceCommand),
    /// Measure a result against ground truth: PSNR, SSIM (whole frame and
    /// inside a mask) and the temporal warping error.
    ///
    /// Pictures are compared as stored (code values 0..1, no colour curve),
    /// as video-inpainting papers compare 8-bit frames. PSNR (dB, peak 1) and
    /// SSIM (Wang et al. 2004, 11x11 Gaussian window) are computed per frame
    /// and averaged over frames. The warping error (Lai et al. 2018) is the
    /// mean squared difference (code values 0..1, over RGB) between output
    /// frame t and output frame t+1 warped back along the ground truth's
    /// optical flow, over pixels that are not occluded, averaged over frame
    /// pairs; lower is steadier. It is printed raw; papers often quote it
    /// x1000 or x100.
    Eval(EvalArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The job file.
    pub job: PathBuf,
    /// Render only these frames (overrides the job's range; for farm chunks).
    #[arg(long)]
    pub frames: Option<String>,
    /// Replace an existing output.
    #[arg(short = 'y', long)]
    pub overwrite: bool,
    /// Render only the frames an image-sequence output is missing.
    #[arg(long)]
    pub resume: bool,
    /// Read this input instead of the job's `[io] input` (farm templates
    /// pass it so a submitter can retarget a job).
    #[arg(long)]
    pub input: Option<String>,
    /// Write this output instead of the job's `[io] output`.
    #[arg(short, long)]
    pub output: Option<String>,
    /// Use this codec instead of the job's `[io] codec` (a movie job's farm
    /// chunks write a float EXR sequence first).
    #[arg(long)]
    pub codec: Option<String>,
}

/// `retake provenance ACTION`.
#[derive(Debug, Subcommand)]
pub enum ProvenanceCommand {
    /// Make a test signing identity: DIR/cert.pem (a signer certificate
    /// and the small test CA that issued it), DIR/key.pem and DIR/ca.pem.
    /// No validator trusts it: readers report its signatures as untrusted.
    Keygen {
        /// Folder to write the identity into (made when missing).
        dir: PathBuf,
        /// Replace an identity already there.
        #[arg(short = 'y', long)]
        overwrite: bool,
    },
    /// Print an output's Content Credentials in words: signer, generator,
    /// actions, ingredients (inputs, passes, models) and validation.
    Show {
        /// A movie, an image, one frame of a sequence, or a sequence pattern.
        output: String,
    },
    /// Check an output's Content Credentials: the signature is valid, the
    /// content hash matches the picture data, and every input and model is
    /// an ingredient. Exit 0 when it verifies, 6 when there are none
    /// (unsigned output, missing sidecar), 7 when they do not verify.
    Verify {
        /// A movie, an image, one frame of a sequence, or a sequence pattern.
        output: String,
    },
}

/// `retake farm ENGINE`.
#[derive(Debug, Subcommand)]
pub enum FarmCommand {
    /// Write an Open Job Description template (jobtemplate-2023-09, task
    /// chunking) that `openjd run` or AWS Deadline Cloud renders.
    Openjd(FarmOpenjdArgs),
    /// Write Slurm batch scripts: an array job, one task per chunk, and
    /// for movies an assembly job chained with `afterok`.
    Slurm(FarmSlurmArgs),
    /// Print a Deadline 10 command-line job (`<STARTFRAME>-<ENDFRAME>`).
    Deadline(FarmJobArgs),
    /// Print an OpenCue layer command (`#FRAME_START#-#FRAME_END#`).
    Opencue(FarmJobArgs),
}

/// The job and how it is cut into chunks; shared by every farm engine.
#[derive(Debug, Args)]
pub struct FarmJobArgs {
    /// The job file (TOML) to render.
    pub job: PathBuf,
    /// Frames per chunk (one farm task).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub chunk_size: u64,
    /// The `retake` executable the workers run (default: this one).
    #[arg(long)]
    pub retake: Option<String>,
}

#[derive(Debug, Args)]
pub struct FarmOpenjdArgs {
    #[command(flatten)]
    pub job: FarmJobArgs,
    /// Where to write the template (YAML).
    #[arg(short, long)]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct FarmSlurmArgs {
    #[command(flatten)]
    pub job: FarmJobArgs,
    /// Folder for the batch scripts, logs and chunk exit codes.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Submit the scripts with `sbatch` after writing them.
    #[arg(long)]
    pub submit: bool,
    /// With --submit: wait for the jobs to end; exit non-zero (the failing
    /// chunk's own exit code) and name its log if any chunk failed.
    #[arg(long, requires = "submit")]
    pub wait: bool,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The result to measure: video, image sequence (`out.%05d.png`) or image.
    pub output: String,
    /// The ground truth, of the same size and length; paired frame by frame
    /// in order.
    pub ground_truth: String,
    /// Region for the in-mask figures (the filled hole): sequence, video or a
    /// still for every frame; values above 0.5 are inside.
    #[arg(long)]
    pub mask: Option<String>,
    /// Print one JSON object (means and per-frame arrays; the warping error
    /// has one value per pair of neighbouring frames) instead of text.
    /// Infinite PSNR (identical frames) is written as "inf", undefined
    /// figures (an empty mask) as null.
    #[arg(long)]
    pub json: bool,
    /// Compare only these frames of OUTPUT, in its own numbering, e.g.
    /// `0-49` (default: all).
    #[arg(long)]
    pub frames: Option<String>,
    /// Keep the ground truth's optical flow in this folder and reuse it:
    /// the flow is most of the time eval takes and depends only on the
    /// ground truth, so scoring several results against one ground truth
    /// computes it once.
    #[arg(long)]
    pub flow_cache: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ColorspacesArgs {
    /// The config (default: $OCIO).
    #[arg(long, value_name = "CONFIG")]
    pub ocio: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Video file or image-sequence pattern (`shot.####.exr`, `shot.%04d.png`).
    pub input: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// List the models found, installed or fetchable.
    List,
    /// Show a model's manifest: source, licence, training data, inputs, outputs.
    Info {
        /// Model name or manifest path.
        name: String,
    },
    /// Check model files against their manifests (sha256, inputs, outputs).
    Verify {
        /// Model names or manifest paths (default: every installed model).
        names: Vec<String>,
    },
    /// Time the model alone on this machine (the baseline for operations).
    Bench {
        /// Model name or manifest path.
        name: String,
        /// Timed runs after one warm-up run.
        #[arg(long, default_value_t = 10)]
        runs: usize,
    },
    /// Download a model from its pinned address (or RETAKE_MODEL_MIRROR).
    Fetch {
        /// Model name from `retake models list`.
        name: String,
        /// Folder to install into (default: the user's models folder).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

/// Where frames come from and go to; shared by every operation, as flags
/// and as the `[io]` table of a job file.
#[derive(Debug, Clone, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IoArgs {
    /// Input video file or image-sequence pattern (`shot.####.exr`).
    pub input: String,
    /// Output video file or image-sequence pattern.
    #[arg(short, long)]
    pub output: String,
    /// Frames to write, e.g. `1001-1100` or `0-10,20-30` (default: all).
    #[arg(long)]
    pub frames: Option<String>,
    /// Output codec (prores-hq, prores-4444, ffv1, h264, h265, exr-half,
    /// exr-float, png8, png16, tiff16; default: from the output's extension).
    #[arg(long)]
    pub codec: Option<String>,
    /// Treat the input as having this transfer curve instead of its tag
    /// (linear, srgb, bt709, bt1886, gamma22).
    #[arg(long)]
    pub input_transfer: Option<String>,
    /// Encode the output with this transfer curve (default: the input's).
    #[arg(long)]
    pub output_transfer: Option<String>,
    /// OpenColorIO config that names the colour spaces below (default:
    /// $OCIO). Used only when a colour space, display or view is given.
    #[arg(long, value_name = "CONFIG")]
    pub ocio: Option<String>,
    /// The input's colour space in the OpenColorIO config (a space, alias
    /// or role, e.g. ACEScg): pictures are converted from it to the
    /// config's `scene_linear` role, where Retake works. Needed by
    /// --output-colorspace and --display.
    #[arg(long, value_name = "NAME", conflicts_with = "input_transfer")]
    pub input_colorspace: Option<String>,
    /// The output's colour space in the config (default: the input's).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["output_transfer", "display"])]
    pub output_colorspace: Option<String>,
    /// Deliver through this display of the config (with --view), e.g.
    /// "sRGB - Display", instead of a colour space.
    #[arg(long, value_name = "NAME", conflicts_with = "output_transfer")]
    pub display: Option<String>,
    /// The display's view, e.g. "ACES 1.0 - SDR Video" (default: the
    /// display's default view).
    #[arg(long, value_name = "NAME", requires = "display")]
    pub view: Option<String>,
    /// Quality for H.264/H.265 (CRF; lower is better).
    #[arg(long)]
    pub crf: Option<u32>,
    /// Bits per sample of an FFV1 output: source (default: the input's
    /// stored depth, rounded up to 8, 10, 12 or 16; float and half inputs
    /// give 16), 8, 10, 12 or 16. Other codecs write their own fixed depth
    /// (ProRes and H.265 10, H.264 and png8 8, png16 and tiff16 16, EXR
    /// half or float); a different number with them is refused.
    #[arg(long, value_name = "BITS")]
    #[serde(default, alias = "bit-depth")]
    pub bit_depth: Option<String>,
    /// Replace an existing output.
    #[arg(short = 'y', long)]
    #[serde(default)]
    pub overwrite: bool,
    /// Keep the frames an image-sequence output already has and render only
    /// the missing ones (after a killed or failed run).
    #[arg(long)]
    #[serde(default)]
    pub resume: bool,
    /// Take the sound, subtitles, data streams, timecode and reel name
    /// from this clip instead of the input (e.g. a frame sequence rendered
    /// from it): output frame N goes with the clip's frame N.
    #[arg(long, value_name = "SOURCE")]
    #[serde(default, alias = "media-from")]
    pub media_from: Option<String>,
    /// Take the input's frames in order at this constant rate (`25`,
    /// `24000/1001`): the rate of an image sequence (default 24), or of a
    /// video with a variable frame rate, which is refused without it.
    #[arg(long)]
    #[serde(default)]
    pub fps: Option<String>,
    /// Match mask and pass sequences to the shot by offset instead of by
    /// frame number: the pass frame for shot frame N is N + OFFSET (e.g. a
    /// mask numbered 1001... on a video, whose frames count from 0: 1001).
    #[arg(long, allow_hyphen_values = true)]
    #[serde(default, alias = "mask-offset")]
    pub mask_offset: Option<i64>,
    /// Sign the output's Content Credentials (C2PA) with this certificate
    /// chain (PEM; default: $RETAKE_SIGN_CERT). Without an identity only
    /// the unsigned OUTPUT.retake.json is written.
    #[arg(long, value_name = "PEM", requires = "sign_key")]
    #[serde(default, alias = "sign-cert")]
    pub sign_cert: Option<String>,
    /// The signing certificate's private key (PEM; default: $RETAKE_SIGN_KEY).
    #[arg(long, value_name = "PEM", requires = "sign_cert")]
    #[serde(default, alias = "sign-key")]
    pub sign_key: Option<String>,
}

#[derive(Debug, Args)]
pub struct MaskArgs {
    #[command(flatten)]
    pub io: IoArgs,
    #[command(flatten)]
    pub params: TableArgs<MaskParams>,
}

#[derive(Debug, Args)]
pub struct RelightArgs {
    #[command(flatten)]
    pub io: IoArgs,
    #[command(flatten)]
    pub inputs: RelightInputs,
    #[command(flatten)]
    pub params: TableArgs<RelightParams>,
}

/// Files that shape relighting, as flags and as the `[inputs]` table of a
/// relight job file.
#[derive(Debug, Clone, Default, Args, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RelightInputs {
    /// The subject's matte (white = subject): an image sequence, a video, a
    /// still, or `auto` for the subject `retake mask` finds. Shapes the
    /// built-in geometry and `--mask-mode`.
    #[arg(long)]
    pub mask: Option<String>,
    /// A depth pass (sequence or video, one value per pixel, larger =
    /// farther, e.g. EXR Z from a render) used instead of the built-in
    /// geometry.
    #[arg(long, conflicts_with = "mask")]
    pub depth: Option<String>,
    /// A normal pass (sequence, video or still; camera space, x right, y
    /// up, z towards the camera): EXR channels `N.x N.y N.z` or RGB. With
    /// --depth, normals come from this pass and distance from the depth.
    #[arg(long)]
    pub normals: Option<String>,
    /// How the normal pass stores components: signed (-1..1, float EXR)
    /// or unsigned ((n + 1) / 2 in 0..1, 8/16-bit images).
    #[arg(
        long,
        default_value = "signed",
        value_parser = PossibleValuesParser::new(["signed", "unsigned"])
            .try_map(|s| serde_value::<NormalEncoding>(&s))
    )]
    pub normal_encoding: NormalEncoding,
    /// Also write the passes for compositing, one EXR per frame
    /// (`passes.####.exr`): normals `N.x N.y N.z` (camera space, y up, z
    /// towards the camera), depth `Z`, and the shading factor the picture
    /// was multiplied by, `shading.R shading.G shading.B`.
    #[arg(long)]
    pub passes: Option<String>,
    /// Write a contact sheet to the output (a PNG) instead of relighting
    /// the shot: the original and each preset in rows, on the first,
    /// middle and last frames.
    #[arg(long)]
    pub preview: bool,
}

#[derive(Debug, Args)]
pub struct TrackArgs {
    #[command(flatten)]
    pub io: IoArgs,
    #[command(flatten)]
    pub params: TableArgs<TrackParams>,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    #[command(flatten)]
    pub io: IoArgs,
    #[command(flatten)]
    pub params: TableArgs<RemoveParams>,
}

#[derive(Debug, Args)]
pub struct ReangleArgs {
    #[command(flatten)]
    pub io: IoArgs,
    #[command(flatten)]
    pub inputs: ReangleInputs,
    #[command(flatten)]
    pub params: TableArgs<ReangleParams>,
}

/// Files that shape reangle, as flags and as the `[reangle-inputs]` table
/// of a reangle job file.
#[derive(Debug, Clone, Default, Args, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReangleInputs {
    /// The subject's matte for the built-in geometry (white = subject): an
    /// image sequence, a video, a still, or `auto` for the subject `retake
    /// mask` finds. Without it (and without --depth) the scene is a ground
    /// plane and a backdrop.
    #[arg(long = "mask")]
    pub mask: Option<String>,
    /// A depth pass (sequence or video, one value per pixel; see
    /// --depth-encoding) used instead of the built-in geometry.
    #[arg(long = "depth", conflicts_with = "mask")]
    pub depth: Option<String>,
    /// Also write, per frame, one EXR (`passes.####.exr`) with the fill
    /// mask `mask` (1 = invented, 0 = real pixels) and the warped depth
    /// `Z`, so the filled areas can be fixed by hand.
    #[arg(long = "passes")]
    pub passes: Option<String>,
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    #[command(flatten)]
    pub io: IoArgs,
    #[command(flatten)]
    pub params: ConvertParams,
}

/// Options of `convert`, as flags and as the `[convert]` table of a job file.
#[derive(Debug, Clone, Default, Args, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConvertParams {
    /// Attach this matte (a still, a clip or a sequence, white = opaque) as
    /// the output's alpha channel, e.g. for ProRes 4444 or EXR.
    #[arg(long)]
    pub alpha: Option<String>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn flags_are_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
