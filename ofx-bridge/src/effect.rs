//! What every Retake effect shares: the OpenFX actions, the instance's
//! state, and rendering a frame by building core's temporal window from
//! the host's images and calling the operation's own `analyse`/`render`,
//! exactly as the CLI's pipeline does. An effect module only describes its
//! parameters and maps them onto core's parameter struct ([`Effect`]).

use std::collections::BTreeMap;
use std::ffi::{c_int, c_void, CStr, CString};
use std::sync::{Arc, Mutex};

use ofx_abi::*;
use retake_core::pipeline::Operation;
use retake_core::window::{Item, Window};
use retake_core::Frame;
use serde::Serialize;

use crate::host::{ofx_call, PResult, PluginError, Props, Suites};
use crate::image::{Components, Image};
use crate::params::{ParamDefs, ParamValues};

/// The two contexts every effect supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Context {
    /// Source in, Output out; a matte, if any, is the Source's alpha.
    Filter,
    /// Source plus the effect's optional inputs (Mask, Depth).
    General,
}

impl Context {
    fn parse(name: &str) -> PResult<Context> {
        match name {
            x if same(x, kOfxImageEffectContextFilter) => Ok(Context::Filter),
            x if same(x, kOfxImageEffectContextGeneral) => Ok(Context::General),
            other => Err(PluginError {
                status: kOfxStatErrUnsupported,
                message: format!("context `{other}` is not supported (filter and general are)"),
            }),
        }
    }
}

/// Optional inputs beside Source, in the general context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// A matte (white = the subject, or what to remove).
    Mask,
    /// A depth pass (larger = farther).
    Depth,
}

impl Input {
    pub fn name(self) -> &'static CStr {
        match self {
            Input::Mask => c"Mask",
            Input::Depth => c"Depth",
        }
    }
}

/// What travels into the operation as the frames' alpha channel: the CLI
/// attaches mattes and depth passes the same way, so the operation cannot
/// tell the two faces apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Alpha {
    /// The Source as it is (its own alpha, if it has one).
    Source,
    /// The Source's alpha, which must exist: it is the matte.
    SourceRequired,
    /// No alpha (RGB frames).
    Drop,
    /// The Mask input, as coverage (its alpha, else its luminance).
    MaskInput,
    /// The Depth input, as data (its luminance, unclamped).
    DepthInput,
}

/// Parameters of one render, as an effect maps them.
pub struct Setup<P> {
    /// Core's parameter struct, the same one the CLI and job files fill.
    pub params: P,
    pub alpha: Alpha,
}

/// What an effect is told when it reads its parameters.
pub struct At<'a> {
    pub values: &'a ParamValues<'a>,
    pub time: f64,
    /// Render scale (x): pixel-size parameters scale with it.
    pub scale: f64,
    /// The Source's full-resolution size (its region of definition).
    pub full_size: (f64, f64),
    pub mask_connected: bool,
    pub depth_connected: bool,
    /// The Source's first and last frame, when the host says: effects
    /// whose parameters run over the whole shot (reangle's named moves)
    /// need it, as the CLI takes it from the input sequence.
    pub frame_range: Option<(f64, f64)>,
}

/// One Retake effect: its identity, parameters, and the mapping onto core.
pub trait Effect: Send + Sync + 'static {
    const ID: &'static CStr;
    const LABEL: &'static CStr;
    const DESCRIPTION: &'static CStr;
    /// The effect's version (major, minor) declared to hosts. The major
    /// changes when a parameter is removed, renamed, retyped or changes
    /// meaning, or a choice loses or reorders options, so that a host
    /// project saved with the old one cannot load the same settings; any
    /// other change (a new parameter with a default that renders as before,
    /// new options at the end of a menu, a fix) bumps the minor.
    const VERSION: (u32, u32);
    /// Optional inputs in the general context.
    const INPUTS: &'static [Input];
    /// Some settings run over the whole shot (Reangle's named moves), so
    /// the effect needs the shot's frame range.
    const USES_SHOT_RANGE: bool = false;
    type Params: Serialize + Clone + Send;
    type Op: Operation + 'static;

    /// Define the parameters on a descriptor.
    fn define(defs: &ParamDefs, context: Context) -> PResult<()>;

    /// The parameters at one time, mapped onto core's struct.
    fn read(at: &At) -> PResult<Setup<Self::Params>>;

    /// Frames needed on each side (the operation's radius).
    fn radius(params: &Self::Params) -> usize;

    /// The same parameters without temporal context, for hosts that grant
    /// no temporal clip access.
    fn spatial_only(params: &mut Self::Params);

    /// Words for the one message saying what the spatial-only fallback
    /// loses.
    fn spatial_only_note() -> &'static str;

    /// The operation, with its models opened.
    fn build(params: &Self::Params) -> PResult<Self::Op>;

    /// The parameters a frame's analysis depends on: frames analysed under
    /// the same key are reused by a rebuilt operation (an animated light
    /// does not re-estimate geometry). The default, all of them, is right
    /// for operations that cache across frames (remove).
    fn analysis_key(params: &Self::Params) -> String {
        serde_json::to_string(params).unwrap_or_default()
    }

    /// Components of the Output clip for a Source with `source` components.
    fn output_components(_params: &Self::Params, source: Components) -> Components {
        source
    }
}

/// Clip handles of an instance.
struct Clips {
    source: OfxImageClipHandle,
    output: OfxImageClipHandle,
    mask: Option<OfxImageClipHandle>,
    depth: Option<OfxImageClipHandle>,
}

/// Analysed frames by frame number, each with a fingerprint of its pixels.
type Analysed<A> = BTreeMap<i64, (u64, Arc<Item<A>>)>;

/// Analysed frames and the operation that made them, kept between renders
/// so that sequential rendering analyses each frame once (as the CLI's
/// pipeline does) instead of once per window it appears in.
struct State<O: Operation> {
    /// Serialised parameters the operation was built with.
    key: String,
    /// What the kept analyses depend on ([`Effect::analysis_key`]).
    analysis_key: String,
    op: Option<Arc<O>>,
    /// By frame number: a fingerprint of the pixels and the analysed frame.
    items: Analysed<O::Analysis>,
}

/// One instance of an effect in the host.
pub struct Instance<E: Effect> {
    clips: Clips,
    state: Mutex<State<E::Op>>,
    /// The error last reported, so a version-1 host (no persistent
    /// messages) shows each problem once, not on every frame.
    last_error: Mutex<Option<String>>,
}

// SAFETY: clip handles are opaque host tokens, valid on any thread for the
// instance's life; all mutable state is behind mutexes or atomics.
unsafe impl<E: Effect> Send for Instance<E> {}
// SAFETY: as for Send: shared access goes through those mutexes and atomics.
unsafe impl<E: Effect> Sync for Instance<E> {}

fn clip_props(s: &Suites, clip: OfxImageClipHandle) -> PResult<Props> {
    let mut h: OfxPropertySetHandle = std::ptr::null_mut();
    // SAFETY: a clip handle of this instance and a slot.
    unsafe { ofx_call!(s.effect, clipGetPropertySet(clip, &mut h))? };
    Ok(Props::new(s, h))
}

fn connected(s: &Suites, clip: Option<OfxImageClipHandle>) -> bool {
    clip.is_some_and(|c| {
        clip_props(s, c)
            .and_then(|p| p.int(kOfxImageClipPropConnected, 0))
            .is_ok_and(|v| v != 0)
    })
}

fn clip_rod(s: &Suites, clip: OfxImageClipHandle, time: f64) -> PResult<OfxRectD> {
    let mut rod = OfxRectD::default();
    // SAFETY: a clip handle of this instance and a slot.
    unsafe { ofx_call!(s.effect, clipGetRegionOfDefinition(clip, time, &mut rod))? };
    Ok(rod)
}

/// Fast 64-bit fingerprint of a frame's samples: tells whether the host
/// now gives different pixels for a frame number seen before.
fn fingerprint(frame: &Frame) -> u64 {
    let mut h: u64 = 0x243f_6a88_85a3_08d3 ^ (frame.width as u64) << 32 ^ frame.channels as u64;
    for pair in frame.data.chunks(2) {
        let a = pair[0].to_bits() as u64;
        let b = pair.get(1).map_or(0, |v| v.to_bits() as u64);
        h = (h ^ (a << 32 | b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        h ^= h >> 29;
    }
    h ^ frame.height as u64
}

/// Dispatch one action; `Err` becomes a status (and a message where the
/// user should read it).
pub fn dispatch<E: Effect>(
    action: &CStr,
    handle: OfxImageEffectHandle,
    in_args: OfxPropertySetHandle,
    out_args: OfxPropertySetHandle,
) -> OfxStatus {
    if action == kOfxActionLoad {
        return match crate::host::load() {
            Ok(()) => kOfxStatOK,
            Err(e) => {
                eprintln!("Retake: {e}");
                e.status
            }
        };
    }
    if action == kOfxActionUnload {
        return kOfxStatOK;
    }
    let s = match crate::host::suites() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("Retake: {e}");
            return e.status;
        }
    };
    let result = if action == kOfxActionDescribe {
        describe::<E>(&s, handle).map(|_| kOfxStatOK)
    } else if action == kOfxImageEffectActionDescribeInContext {
        describe_in_context::<E>(&s, handle, in_args).map(|_| kOfxStatOK)
    } else if action == kOfxActionCreateInstance {
        create_instance::<E>(&s, handle).map(|_| kOfxStatOK)
    } else if action == kOfxActionDestroyInstance {
        destroy_instance::<E>(&s, handle).map(|_| kOfxStatOK)
    } else {
        let instance = match instance::<E>(&s, handle) {
            Ok(i) => i,
            Err(e) => return e.status,
        };
        let r = if action == kOfxImageEffectActionRender {
            render::<E>(&s, handle, instance, in_args).map(|_| kOfxStatOK)
        } else if action == kOfxImageEffectActionGetRegionOfDefinition {
            region_of_definition(&s, instance, in_args, out_args).map(|_| kOfxStatOK)
        } else if action == kOfxImageEffectActionGetRegionsOfInterest {
            regions_of_interest(&s, instance, in_args, out_args).map(|_| kOfxStatOK)
        } else if action == kOfxImageEffectActionGetFramesNeeded {
            frames_needed::<E>(&s, handle, instance, in_args, out_args).map(|_| kOfxStatOK)
        } else if action == kOfxImageEffectActionGetClipPreferences {
            clip_preferences::<E>(&s, handle, instance, out_args).map(|_| kOfxStatOK)
        } else if action == kOfxActionPurgeCaches {
            instance.purge();
            Ok(kOfxStatOK)
        } else {
            Ok(kOfxStatReplyDefault)
        };
        if let Err(e) = &r {
            instance.report(&s, handle, e);
        }
        r
    };
    match result {
        Ok(status) => status,
        Err(e) => {
            if action != kOfxImageEffectActionRender {
                eprintln!("Retake ({}): {e}", action.to_string_lossy());
            }
            e.status
        }
    }
}

/// A property the host refused to set: skipped, and logged once per
/// process (hosts differ in what they know); only properties the effect
/// cannot work without fail the action.
fn optional(name: &CStr, result: PResult<()>) {
    if let Err(e) = result {
        if crate::host::first_time(&format!("refused {name:?}")) {
            eprintln!("Retake: {e}; continuing without it");
        }
    }
}

fn describe<E: Effect>(s: &Suites, effect: OfxImageEffectHandle) -> PResult<()> {
    let p = s.effect_props(effect)?;
    // Essential: what the effect is called, where and on what it runs.
    p.set_string(kOfxPropLabel, 0, &E::LABEL.to_string_lossy())?;
    p.set_strings(
        kOfxImageEffectPropSupportedContexts,
        &[kOfxImageEffectContextFilter, kOfxImageEffectContextGeneral],
    )?;
    p.set_strings(
        kOfxImageEffectPropSupportedPixelDepths,
        &[kOfxBitDepthFloat, kOfxBitDepthShort, kOfxBitDepthByte],
    )?;
    // The rest refines how a host treats the effect; a host that does not
    // know one of them keeps its default.
    let description = E::DESCRIPTION.to_string_lossy();
    optional(
        kOfxPropPluginDescription,
        p.set_string(kOfxPropPluginDescription, 0, &description),
    );
    optional(
        kOfxImageEffectPluginPropGrouping,
        p.set_string(kOfxImageEffectPluginPropGrouping, 0, "Retake"),
    );
    let (major, minor) = E::VERSION;
    optional(
        kOfxPropVersionLabel,
        p.set_string(kOfxPropVersionLabel, 0, &format!("{major}.{minor}")),
    );
    // Operations look at the whole frame (flow, the subject model), and
    // every input must match the Source's size: no tiles, one resolution.
    for (name, value) in [
        (kOfxImageEffectPropSupportsTiles, 0),
        (kOfxImageEffectPropSupportsMultiResolution, 0),
        (kOfxImageEffectPropSupportsMultipleClipDepths, 0),
        (kOfxImageEffectPropTemporalClipAccess, 1),
        // Core parallelises inside a frame; the host must not split frames.
        (kOfxImageEffectPluginPropHostFrameThreading, 0),
    ] {
        optional(name, p.set_int(name, 0, value));
    }
    // Different instances may render at once; one instance renders one
    // frame at a time (its analysed frames are shared between renders).
    optional(
        kOfxImageEffectPluginRenderThreadSafety,
        p.set_string(
            kOfxImageEffectPluginRenderThreadSafety,
            0,
            &kOfxImageEffectRenderInstanceSafe.to_string_lossy(),
        ),
    );
    Ok(())
}

fn define_clip(s: &Suites, effect: OfxImageEffectHandle, name: &CStr) -> PResult<Props> {
    let mut h: OfxPropertySetHandle = std::ptr::null_mut();
    // SAFETY: a descriptor handle, a NUL-terminated name and a slot.
    unsafe { ofx_call!(s.effect, clipDefine(effect, name.as_ptr(), &mut h))? };
    Ok(Props::new(s, h))
}

fn describe_in_context<E: Effect>(
    s: &Suites,
    effect: OfxImageEffectHandle,
    in_args: OfxPropertySetHandle,
) -> PResult<()> {
    let context = Context::parse(&Props::new(s, in_args).string(kOfxImageEffectPropContext, 0)?)?;
    let source = define_clip(s, effect, kOfxImageEffectSimpleSourceClipName)?;
    source.set_strings(
        kOfxImageEffectPropSupportedComponents,
        &[kOfxImageComponentRGBA, kOfxImageComponentRGB],
    )?;
    source.set_int(kOfxImageEffectPropTemporalClipAccess, 0, 1)?;
    source.set_int(kOfxImageEffectPropSupportsTiles, 0, 0)?;
    let output = define_clip(s, effect, kOfxImageEffectOutputClipName)?;
    output.set_strings(
        kOfxImageEffectPropSupportedComponents,
        &[kOfxImageComponentRGBA, kOfxImageComponentRGB],
    )?;
    output.set_int(kOfxImageEffectPropSupportsTiles, 0, 0)?;
    if context == Context::General {
        for input in E::INPUTS {
            let c = define_clip(s, effect, input.name())?;
            c.set_strings(
                kOfxImageEffectPropSupportedComponents,
                &[
                    kOfxImageComponentAlpha,
                    kOfxImageComponentRGBA,
                    kOfxImageComponentRGB,
                ],
            )?;
            c.set_int(kOfxImageClipPropOptional, 0, 1)?;
            c.set_int(kOfxImageClipPropIsMask, 0, (*input == Input::Mask) as c_int)?;
            c.set_int(kOfxImageEffectPropTemporalClipAccess, 0, 1)?;
            c.set_int(kOfxImageEffectPropSupportsTiles, 0, 0)?;
        }
    }
    E::define(&ParamDefs::new(s, effect)?, context)
}

fn clip_handle(
    s: &Suites,
    effect: OfxImageEffectHandle,
    name: &CStr,
) -> PResult<OfxImageClipHandle> {
    let mut clip: OfxImageClipHandle = std::ptr::null_mut();
    // SAFETY: an instance handle, a NUL-terminated name; the property set
    // is not wanted.
    unsafe {
        ofx_call!(
            s.effect,
            clipGetHandle(effect, name.as_ptr(), &mut clip, std::ptr::null_mut())
        )?
    };
    if clip.is_null() {
        return Err(PluginError::failed(format!(
            "the host has no clip `{}`",
            name.to_string_lossy()
        )));
    }
    Ok(clip)
}

fn create_instance<E: Effect>(s: &Suites, effect: OfxImageEffectHandle) -> PResult<()> {
    let props = s.effect_props(effect)?;
    let context = Context::parse(&props.string(kOfxImageEffectPropContext, 0)?)?;
    let optional = |input: Input| -> PResult<Option<OfxImageClipHandle>> {
        if context == Context::General && E::INPUTS.contains(&input) {
            clip_handle(s, effect, input.name()).map(Some)
        } else {
            Ok(None)
        }
    };
    let clips = Clips {
        source: clip_handle(s, effect, kOfxImageEffectSimpleSourceClipName)?,
        output: clip_handle(s, effect, kOfxImageEffectOutputClipName)?,
        mask: optional(Input::Mask)?,
        depth: optional(Input::Depth)?,
    };
    let instance: Box<Instance<E>> = Box::new(Instance {
        clips,
        state: Mutex::new(State {
            key: String::new(),
            analysis_key: String::new(),
            op: None,
            items: BTreeMap::new(),
        }),
        last_error: Mutex::new(None),
    });
    let raw = Box::into_raw(instance);
    if let Err(e) = props.set_pointer(kOfxPropInstanceData, 0, raw.cast()) {
        // SAFETY: `raw` came from Box::into_raw just above and was not shared.
        drop(unsafe { Box::from_raw(raw) });
        return Err(e);
    }
    Ok(())
}

fn destroy_instance<E: Effect>(s: &Suites, effect: OfxImageEffectHandle) -> PResult<()> {
    let props = s.effect_props(effect)?;
    let raw = props.pointer(kOfxPropInstanceData, 0)? as *mut Instance<E>;
    if !raw.is_null() {
        props.set_pointer(kOfxPropInstanceData, 0, std::ptr::null_mut())?;
        // SAFETY: the pointer was made by `create_instance` for this effect
        // type and is dropped once, here.
        drop(unsafe { Box::from_raw(raw) });
    }
    Ok(())
}

fn instance<'a, E: Effect>(s: &Suites, effect: OfxImageEffectHandle) -> PResult<&'a Instance<E>> {
    let raw = s.effect_props(effect)?.pointer(kOfxPropInstanceData, 0)? as *const Instance<E>;
    // SAFETY: set by `create_instance` for this effect type (each effect
    // has its own entry point) and alive until `destroy_instance`.
    unsafe { raw.as_ref() }.ok_or_else(|| PluginError {
        status: kOfxStatErrBadHandle,
        message: "an action on an instance the plugin did not create".into(),
    })
}

impl<E: Effect> Instance<E> {
    fn purge(&self) {
        if let Ok(mut st) = self.state.lock() {
            st.key.clear();
            st.analysis_key.clear();
            st.op = None;
            st.items.clear();
        }
    }

    /// Whether the Mask and Depth inputs are connected. At render time
    /// (`probe_at`), a clip reported connected must also yield an image:
    /// some hosts (DaVinci Resolve) report every clip as connected and
    /// return no image for one that is not, and the effect then renders
    /// as it does without that input.
    fn inputs_connected(&self, s: &Suites, probe_at: Option<f64>) -> (bool, bool) {
        let usable = |clip: Option<OfxImageClipHandle>| {
            connected(s, clip)
                && match (probe_at, clip) {
                    (Some(time), Some(c)) => matches!(Image::fetch(s, c, time), Ok(Some(_))),
                    _ => true,
                }
        };
        (usable(self.clips.mask), usable(self.clips.depth))
    }

    /// The parameters at `time`; `probe`: check that connected inputs
    /// yield images (at render time only: strict hosts lend images only
    /// inside a render).
    fn setup(
        &self,
        s: &Suites,
        effect: OfxImageEffectHandle,
        time: f64,
        scale: f64,
        probe: bool,
    ) -> PResult<Setup<E::Params>> {
        let values = ParamValues::new(s, effect)?;
        let (mask_connected, depth_connected) = self.inputs_connected(s, probe.then_some(time));
        let rod = clip_rod(s, self.clips.source, time)?;
        let mut setup = E::read(&At {
            values: &values,
            time,
            scale,
            full_size: (rod.x2 - rod.x1, rod.y2 - rod.y1),
            mask_connected,
            depth_connected,
            frame_range: frame_range(s, effect, self.clips.source),
        })?;
        if !s.temporal_access {
            E::spatial_only(&mut setup.params);
        }
        Ok(setup)
    }

    /// Tell the user why a render failed: a persistent message where the
    /// host keeps them, else one message per distinct problem.
    fn report(&self, s: &Suites, effect: OfxImageEffectHandle, e: &PluginError) {
        // Core's messages mention parameters by id; the host shows labels.
        let message = match ParamValues::new(s, effect) {
            Ok(values) => values.in_host_words(&e.message),
            Err(_) => e.message.clone(),
        };
        let text = format!("{}: {message}", E::LABEL.to_string_lossy());
        let mut last = self.last_error.lock().unwrap_or_else(|p| p.into_inner());
        if s.set_persistent(effect, kOfxMessageError, &text) {
            *last = Some(text);
            return;
        }
        if last.as_deref() != Some(text.as_str()) {
            s.message(effect, kOfxMessageError, &text);
            *last = Some(text);
        }
    }

    fn clear_report(&self, s: &Suites, effect: OfxImageEffectHandle) {
        let mut last = self.last_error.lock().unwrap_or_else(|p| p.into_inner());
        if last.take().is_some() {
            s.clear_persistent(effect);
        }
    }
}

fn region_of_definition<E: Effect>(
    s: &Suites,
    instance: &Instance<E>,
    in_args: OfxPropertySetHandle,
    out_args: OfxPropertySetHandle,
) -> PResult<()> {
    let time = Props::new(s, in_args).double(kOfxPropTime, 0)?;
    let rod = clip_rod(s, instance.clips.source, time)?;
    Props::new(s, out_args).set_doubles(
        kOfxImageEffectPropRegionOfDefinition,
        &[rod.x1, rod.y1, rod.x2, rod.y2],
    )
}

fn prefixed(prefix: &str, clip: &CStr) -> CString {
    crate::host::c_text(&format!("{prefix}{}", clip.to_string_lossy()))
}

fn regions_of_interest<E: Effect>(
    s: &Suites,
    instance: &Instance<E>,
    in_args: OfxPropertySetHandle,
    out_args: OfxPropertySetHandle,
) -> PResult<()> {
    let time = Props::new(s, in_args).double(kOfxPropTime, 0)?;
    let out = Props::new(s, out_args);
    // Every input is needed whole, whatever part of the output is asked for.
    let mut clips = vec![(kOfxImageEffectSimpleSourceClipName, instance.clips.source)];
    for (input, clip) in [
        (Input::Mask, instance.clips.mask),
        (Input::Depth, instance.clips.depth),
    ] {
        if let Some(c) = clip.filter(|_| connected(s, clip)) {
            clips.push((input.name(), c));
        }
    }
    for (name, clip) in clips {
        let rod = clip_rod(s, clip, time)?;
        out.set_doubles(
            &prefixed(CLIP_ROI_PREFIX, name),
            &[rod.x1, rod.y1, rod.x2, rod.y2],
        )?;
    }
    Ok(())
}

/// The shot's frames: the Source clip's frame range, else (hosts that
/// give none) the effect's duration on the host's timeline, from 0.
fn frame_range(
    s: &Suites,
    effect: OfxImageEffectHandle,
    clip: OfxImageClipHandle,
) -> Option<(f64, f64)> {
    let valid = |(a, b): (f64, f64)| a.is_finite() && b.is_finite() && a <= b;
    clip_props(s, clip)
        .and_then(|p| p.doubles::<2>(kOfxImageEffectPropFrameRange))
        .ok()
        .map(|[a, b]| (a, b))
        .filter(|r| valid(*r))
        .or_else(|| {
            s.effect_props(effect)
                .and_then(|p| p.double(kOfxImageEffectInstancePropEffectDuration, 0))
                .ok()
                .filter(|d| *d >= 1.0)
                .map(|d| (0.0, d - 1.0))
        })
}

/// Times of the window around `time`, inside the source's range.
fn window_times(
    s: &Suites,
    effect: OfxImageEffectHandle,
    clip: OfxImageClipHandle,
    time: f64,
    radius: usize,
) -> (f64, f64) {
    let r = radius as f64;
    let (mut lo, mut hi) = (time - r, time + r);
    if let Some((first, last)) = frame_range(s, effect, clip) {
        lo = lo.max(first.min(time));
        hi = hi.min(last.max(time));
    }
    (lo, hi)
}

fn frames_needed<E: Effect>(
    s: &Suites,
    effect: OfxImageEffectHandle,
    instance: &Instance<E>,
    in_args: OfxPropertySetHandle,
    out_args: OfxPropertySetHandle,
) -> PResult<()> {
    let time = Props::new(s, in_args).double(kOfxPropTime, 0)?;
    // Parameters that cannot render (reported by the render) need no
    // neighbours.
    let radius = instance
        .setup(s, effect, time, 1.0, false)
        .map_or(0, |setup| E::radius(&setup.params));
    let (lo, hi) = window_times(s, effect, instance.clips.source, time, radius);
    let out = Props::new(s, out_args);
    out.set_doubles(
        &prefixed(CLIP_FRAME_RANGE_PREFIX, kOfxImageEffectSimpleSourceClipName),
        &[lo, hi],
    )?;
    for (input, clip) in [
        (Input::Mask, instance.clips.mask),
        (Input::Depth, instance.clips.depth),
    ] {
        if clip.is_some() {
            out.set_doubles(&prefixed(CLIP_FRAME_RANGE_PREFIX, input.name()), &[lo, hi])?;
        }
    }
    Ok(())
}

fn clip_preferences<E: Effect>(
    s: &Suites,
    effect: OfxImageEffectHandle,
    instance: &Instance<E>,
    out_args: OfxPropertySetHandle,
) -> PResult<()> {
    let source = clip_props(s, instance.clips.source)?;
    let components = Components::parse(&source.string(kOfxImageEffectPropComponents, 0)?)
        .unwrap_or(Components::Rgba);
    let depth = source.string(kOfxImageEffectPropPixelDepth, 0)?;
    let out = Props::new(s, out_args);
    // Parameters that cannot render keep the Source's components; the
    // render says what is wrong with them.
    let wanted = instance
        .setup(s, effect, 0.0, 1.0, false)
        .map_or(components, |setup| {
            E::output_components(&setup.params, components)
        });
    out.set_string(
        &prefixed(CLIP_COMPONENTS_PREFIX, kOfxImageEffectOutputClipName),
        0,
        &wanted.name().to_string_lossy(),
    )?;
    out.set_string(
        &prefixed(CLIP_DEPTH_PREFIX, kOfxImageEffectOutputClipName),
        0,
        &depth,
    )?;
    Ok(())
}

/// One frame of the Source with its matte or depth attached as alpha.
fn input_frame<E: Effect>(
    s: &Suites,
    instance: &Instance<E>,
    alpha: Alpha,
    time: f64,
    index: i64,
) -> PResult<Option<(Frame, OfxRectI)>> {
    let Some(image) = Image::fetch(s, instance.clips.source, time)? else {
        return Ok(None);
    };
    let bounds = image.bounds;
    let mut frame = image.to_frame(index);
    drop(image);
    let attach = |input: Input, clip: Option<OfxImageClipHandle>| -> PResult<Frame> {
        let label = input.name().to_string_lossy();
        let clip = clip.filter(|_| connected(s, clip)).ok_or_else(|| {
            PluginError::failed(format!(
                "connect the {label} input, or choose another source for the matte"
            ))
        })?;
        let image = Image::fetch(s, clip, time)?.ok_or_else(|| {
            PluginError::failed(format!("the {label} input has no image at frame {time}"))
        })?;
        if image.bounds != bounds {
            let b = image.bounds;
            return Err(PluginError::failed(format!(
                "the {label} input is {}x{} at ({}, {}) but the Source is {}x{} at ({}, {}); give a {label} of the Source's size",
                b.x2 - b.x1, b.y2 - b.y1, b.x1, b.y1,
                bounds.x2 - bounds.x1, bounds.y2 - bounds.y1, bounds.x1, bounds.y1
            )));
        }
        Ok(image.to_frame(index))
    };
    let matte = match alpha {
        Alpha::Source => None,
        Alpha::SourceRequired => {
            if frame.channels != 4 {
                return Err(PluginError::failed(
                    "the matte is to come from the Source's alpha, but the Source is RGB",
                ));
            }
            None
        }
        Alpha::Drop => {
            frame = frame.with_channels(3);
            None
        }
        Alpha::MaskInput => Some(retake_ops::matte::to_mask(&attach(
            Input::Mask,
            instance.clips.mask,
        )?)),
        Alpha::DepthInput => {
            let d = attach(Input::Depth, instance.clips.depth)?;
            Some(Frame::from_data(
                index,
                d.width,
                d.height,
                1,
                d.luminance(),
            )?)
        }
    };
    if let Some(m) = matte {
        frame = frame.with_channels(4);
        for (p, v) in frame.data.chunks_exact_mut(4).zip(&m.data) {
            p[3] = *v;
        }
    }
    Ok(Some((frame, bounds)))
}

fn render<E: Effect>(
    s: &Suites,
    effect: OfxImageEffectHandle,
    instance: &Instance<E>,
    in_args: OfxPropertySetHandle,
) -> PResult<()> {
    let args = Props::new(s, in_args);
    let time = args.double(kOfxPropTime, 0)?;
    let scale = args
        .doubles::<2>(kOfxImageEffectPropRenderScale)
        .map(|[x, _]| x)
        .unwrap_or(1.0);
    if !(scale.is_finite() && scale > 0.0) {
        return Err(PluginError::failed(format!(
            "render scale {scale} is not usable"
        )));
    }
    let [x1, y1, x2, y2] = args.ints::<4>(kOfxImageEffectPropRenderWindow)?;
    let window = OfxRectI { x1, y1, x2, y2 };

    let setup = instance.setup(s, effect, time, scale, true)?;
    // One-time warnings live per process, not per instance: some hosts
    // create an instance per frame.
    if !s.temporal_access && crate::host::first_time(&format!("spatial-only {:?}", E::ID)) {
        s.message(
            effect,
            kOfxMessageWarning,
            &format!(
                "{}: {} grants no temporal clip access, so Retake works on each frame alone: {}",
                E::LABEL.to_string_lossy(),
                s.host_name,
                E::spatial_only_note()
            ),
        );
    }
    if E::USES_SHOT_RANGE
        && frame_range(s, effect, instance.clips.source).is_none()
        && crate::host::first_time(&format!("no frame range {:?}", E::ID))
    {
        s.message(
            effect,
            kOfxMessageWarning,
            &format!(
                "{}: {} gives no frame range for the Source clip or the effect, so named moves cannot ease over the shot and apply in full on every frame; set Move to none and key the camera values instead",
                E::LABEL.to_string_lossy(),
                s.host_name,
            ),
        );
    }
    let radius = E::radius(&setup.params);
    let key = serde_json::to_string(&(&setup.params, setup.alpha))
        .map_err(|e| PluginError::failed(format!("parameters: {e}")))?;
    let analysis_key = format!("{:?} {}", setup.alpha, E::analysis_key(&setup.params));
    let centre = time.round() as i64;

    // The window's frames, fetched from the host, contiguous around `time`.
    let (lo, hi) = window_times(s, effect, instance.clips.source, time, radius);
    let mut frames: Vec<(i64, Frame)> = Vec::new();
    let mut bounds = None;
    for k in -(radius as i64)..=radius as i64 {
        let t = time + k as f64;
        if t < lo || t > hi {
            continue;
        }
        if s.aborted(effect) {
            return Err(PluginError::failed("render aborted by the host"));
        }
        match input_frame(s, instance, setup.alpha, t, centre + k)? {
            Some((f, b)) => {
                if k == 0 {
                    bounds = Some(b);
                }
                frames.push((centre + k, f));
            }
            None if k < 0 => frames.clear(),
            None if k == 0 => {
                return Err(PluginError::failed(format!(
                    "the Source has no image at frame {time}"
                )))
            }
            None => break,
        }
    }
    let Some(bounds) = bounds else {
        return Err(PluginError::failed(format!(
            "the Source has no image at frame {time}"
        )));
    };
    // Every frame of the window must match the centre's size.
    let (w, h) = (
        (bounds.x2 - bounds.x1) as usize,
        (bounds.y2 - bounds.y1) as usize,
    );
    frames.retain(|(i, f)| *i == centre || (f.width, f.height) == (w, h));

    let result = {
        let mut st = instance.state.lock().unwrap_or_else(|p| p.into_inner());
        let prints: Vec<u64> = frames.iter().map(|(_, f)| fingerprint(f)).collect();
        let changed = frames
            .iter()
            .zip(&prints)
            .any(|((i, _), p)| st.items.get(i).is_some_and(|(q, _)| q != p));
        if st.analysis_key != analysis_key || changed {
            // New pixels or parameters the analyses depend on: the
            // operation's caches (flow, anchor fills) belong to the old ones.
            st.op = None;
            st.items.clear();
            st.analysis_key = analysis_key;
        }
        if st.key != key || st.op.is_none() {
            st.op = None;
            st.op = Some(Arc::new(E::build(&setup.params)?));
            st.key = key;
        }
        let op = st
            .op
            .clone()
            .ok_or_else(|| PluginError::failed("operation missing"))?;
        let mut items = Vec::with_capacity(frames.len());
        let mut centre_at = 0;
        for ((index, frame), print) in frames.into_iter().zip(prints) {
            if index == centre {
                centre_at = items.len();
            }
            let item = match st.items.get(&index) {
                Some((_, item)) => item.clone(),
                None => {
                    if s.aborted(effect) {
                        return Err(PluginError::failed("render aborted by the host"));
                    }
                    let analysis = op.analyse(&frame)?;
                    let item = Arc::new(Item {
                        frame: Arc::new(frame),
                        analysis,
                    });
                    st.items.insert(index, (print, item.clone()));
                    item
                }
            };
            items.push(item);
        }
        // Keep only what the next frame's window can reuse.
        let keep = (centre - radius as i64 - 1)..=(centre + radius as i64 + 1);
        st.items.retain(|i, _| keep.contains(i));
        // The host's abort is also asked between the long steps inside the
        // frame (flows, anchor fills), not only between frame fetches.
        let suites = crate::host::suites()?;
        let handle = effect as usize;
        let rendered = retake_core::cancel::with_check(
            move || suites.aborted(handle as OfxImageEffectHandle),
            || op.render(&Window::new(items, centre_at)),
        );
        match rendered {
            Err(retake_core::Error::Cancelled) => {
                return Err(PluginError::failed("render aborted by the host"))
            }
            other => other?,
        }
    };

    let mut output = Image::fetch(s, instance.clips.output, time)?.ok_or_else(|| {
        PluginError::failed(format!("the host gave no Output image at frame {time}"))
    })?;
    output.write(&result, bounds.x1, bounds.y1, window);
    instance.clear_report(s, effect);
    Ok(())
}

/// Entry point of effect `E`: every action, with no panic reaching the
/// host (a panic becomes a failed status and a message).
///
/// # Safety
/// Called by the host with the arguments the OpenFX standard defines.
pub unsafe extern "C" fn main_entry<E: Effect>(
    action: *const std::ffi::c_char,
    handle: *const c_void,
    in_args: OfxPropertySetHandle,
    out_args: OfxPropertySetHandle,
) -> OfxStatus {
    if action.is_null() {
        return kOfxStatErrBadHandle;
    }
    // SAFETY: the host passes a NUL-terminated action name.
    let action = unsafe { CStr::from_ptr(action) };
    let effect = handle as OfxImageEffectHandle;
    let run = std::panic::AssertUnwindSafe(|| dispatch::<E>(action, effect, in_args, out_args));
    match std::panic::catch_unwind(run) {
        Ok(status) => status,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown".into());
            let text = format!(
                "{}: internal error in {} ({what}); the render failed but the host is unaffected",
                E::LABEL.to_string_lossy(),
                action.to_string_lossy()
            );
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                if let Ok(s) = crate::host::suites() {
                    s.message(effect, kOfxMessageError, &text);
                } else {
                    eprintln!("Retake: {text}");
                }
            }));
            kOfxStatFailed
        }
    }
}
