//! The host proper: its description, `fetchSuite`, effects, clips, images,
//! and the image effect suite. One host per process (a plugin keeps the
//! host it was given), configured once by [`start`].

use std::collections::{BTreeMap, HashMap};
use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::{Mutex, OnceLock};

use ofx_abi::*;
use retake_core::Frame;

use crate::params::ParamSet;
use crate::props::PropertySet;
use crate::suites::{self, lock};

/// Which suites the host offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuiteLevel {
    /// Property, image effect, parameter, memory, multi-thread, message
    /// (versions 1 and 2) and progress.
    Full,
    /// Version 1 of property, image effect, parameter and message only: no
    /// memory, multi-thread, progress or message version 2.
    Version1Only,
}

/// How the host behaves.
#[derive(Clone, Debug)]
pub struct HostConfig {
    pub suites: SuiteLevel,
    /// Whether effects may fetch images at times other than the render's.
    pub temporal_access: bool,
}

/// Pixel depth of the images the host hands out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depth {
    Byte,
    Short,
    Float,
}

impl Depth {
    pub fn name(self) -> &'static str {
        match self {
            Depth::Byte => "OfxBitDepthByte",
            Depth::Short => "OfxBitDepthShort",
            Depth::Float => "OfxBitDepthFloat",
        }
    }

    fn parse(name: &str) -> Depth {
        match name {
            "OfxBitDepthByte" => Depth::Byte,
            "OfxBitDepthShort" => Depth::Short,
            _ => Depth::Float,
        }
    }

    fn bytes(self) -> usize {
        match self {
            Depth::Byte => 1,
            Depth::Short => 2,
            Depth::Float => 4,
        }
    }
}

/// Frames a clip plays, at full resolution, in float (top row first), and
/// the depth the host hands them out at. Channels: 4 (RGBA), 3 (RGB) or 1
/// (alpha).
#[derive(Clone, Debug)]
pub struct Footage {
    pub frames: BTreeMap<i64, Frame>,
    pub depth: Depth,
}

impl Footage {
    pub fn float(frames: impl IntoIterator<Item = Frame>) -> Footage {
        Footage {
            frames: frames.into_iter().map(|f| (f.index, f)).collect(),
            depth: Depth::Float,
        }
    }

    fn first(&self) -> Option<&Frame> {
        self.frames.values().next()
    }

    pub fn components(&self) -> &'static str {
        match self.first().map_or(4, |f| f.channels) {
            1 => "OfxImageComponentAlpha",
            3 => "OfxImageComponentRGB",
            _ => "OfxImageComponentRGBA",
        }
    }
}

/// A 2x2 (or k x k) box reduction: what the host shows an effect at render
/// scale `1/k`.
pub fn downscale(frame: &Frame, k: usize) -> Frame {
    if k <= 1 {
        return frame.clone();
    }
    let (w, h, c) = (frame.width / k, frame.height / k, frame.channels);
    let mut data = vec![0.0f32; w * h * c];
    for y in 0..h {
        for x in 0..w {
            for ch in 0..c {
                let mut sum = 0.0;
                for dy in 0..k {
                    for dx in 0..k {
                        sum += frame.data[((y * k + dy) * frame.width + x * k + dx) * c + ch];
                    }
                }
                data[(y * w + x) * c + ch] = sum / (k * k) as f32;
            }
        }
    }
    Frame {
        index: frame.index,
        width: w,
        height: h,
        channels: c,
        data,
    }
}

/// An image lent to the plugin: its properties and its pixels.
struct ImageData {
    /// Owned here so the handle stays valid until release.
    _props: Box<PropertySet>,
    /// 8-byte units so float rows are aligned.
    _pixels: Vec<u64>,
}

/// What the host is doing for one render, to check the plugin's requests.
#[derive(Default, Debug)]
pub struct RenderState {
    pub time: f64,
    pub scale: f64,
    /// Times the plugin may fetch (from frames-needed), inclusive.
    pub allowed: Option<(f64, f64)>,
    /// Requests the host had to refuse.
    pub violations: Vec<String>,
    /// The Output image of the render in progress.
    pub output: Option<(Vec<u64>, [i32; 4], usize, Depth)>,
}

/// A clip of a descriptor or an instance.
pub struct ClipData {
    pub name: String,
    pub props: Box<PropertySet>,
    pub footage: Mutex<Option<Footage>>,
    /// Every time an image was asked for.
    pub fetched: Mutex<Vec<f64>>,
    effect: *const EffectData,
}

/// An effect descriptor or instance.
pub struct EffectData {
    pub props: Box<PropertySet>,
    pub params: Box<ParamSet>,
    pub clips: Mutex<Vec<Box<ClipData>>>,
    pub render: Mutex<RenderState>,
}

impl EffectData {
    pub fn new() -> Box<EffectData> {
        Box::new(EffectData {
            props: PropertySet::new(),
            params: Box::default(),
            clips: Mutex::new(Vec::new()),
            render: Mutex::new(RenderState::default()),
        })
    }

    pub fn handle(&self) -> OfxImageEffectHandle {
        self as *const EffectData as OfxImageEffectHandle
    }

    pub fn clip(&self, name: &str) -> Option<&ClipData> {
        let clips = lock(&self.clips);
        let p = clips.iter().find(|c| c.name == name)?.as_ref() as *const ClipData;
        // SAFETY: clips are boxed and live as long as the effect.
        Some(unsafe { &*p })
    }

    pub fn clip_names(&self) -> Vec<String> {
        lock(&self.clips).iter().map(|c| c.name.clone()).collect()
    }
}

struct HostState {
    config: HostConfig,
    props: Box<PropertySet>,
    host: Box<OfxHost>,
    fetched: Mutex<Vec<(String, i32, bool)>>,
    images: Mutex<HashMap<usize, ImageData>>,
}

// SAFETY: the raw pointers inside are to boxed data owned by the state
// itself, which lives for the whole process.
unsafe impl Send for HostState {}
unsafe impl Sync for HostState {}

static HOST: OnceLock<HostState> = OnceLock::new();

#[repr(C)]
struct Callbacks {
    param_kind: unsafe extern "C" fn(*mut c_void) -> c_int,
    param_get: unsafe extern "C" fn(*mut c_void, f64, c_int, *mut *mut c_void, c_int) -> OfxStatus,
    param_set: unsafe extern "C" fn(
        *mut c_void,
        f64,
        c_int,
        *const f64,
        c_int,
        *const c_char,
    ) -> OfxStatus,
    message: unsafe extern "C" fn(
        *mut c_void,
        *const c_char,
        *const c_char,
        *const c_char,
        c_int,
    ) -> OfxStatus,
}

extern "C" {
    fn retake_host_set_callbacks(c: *const Callbacks);
}

/// Start this process's host. A second call must ask for the same host.
pub fn start(config: HostConfig) -> &'static OfxHost {
    let state = HOST.get_or_init(|| {
        let callbacks = Callbacks {
            param_kind: crate::params::kind_callback,
            param_get: crate::params::get_callback,
            param_set: crate::params::set_callback,
            message: suites::message_callback,
        };
        // SAFETY: the shim copies the table.
        unsafe { retake_host_set_callbacks(&callbacks) };
        let props = PropertySet::new();
        props.set_str("OfxPropName", &["org.retake.testhost"]);
        props.set_str("OfxPropLabel", &["Retake test host"]);
        props.set_int("OfxPropAPIVersion", &[1, 4]);
        props.set_int("OfxImageEffectHostPropIsBackground", &[0]);
        props.set_int("OfxImageEffectPropSupportsOverlays", &[0]);
        props.set_int("OfxImageEffectPropSupportsMultiResolution", &[1]);
        props.set_int("OfxImageEffectPropSupportsTiles", &[1]);
        props.set_int(
            "OfxImageEffectPropTemporalClipAccess",
            &[config.temporal_access as i32],
        );
        props.set_str(
            "OfxImageEffectPropSupportedComponents",
            &[
                "OfxImageComponentRGBA",
                "OfxImageComponentRGB",
                "OfxImageComponentAlpha",
            ],
        );
        props.set_str(
            "OfxImageEffectPropSupportedPixelDepths",
            &["OfxBitDepthFloat", "OfxBitDepthShort", "OfxBitDepthByte"],
        );
        props.set_str(
            "OfxImageEffectPropSupportedContexts",
            &[
                "OfxImageEffectContextFilter",
                "OfxImageEffectContextGeneral",
            ],
        );
        props.set_int("OfxImageEffectPropSupportsMultipleClipDepths", &[0]);
        props.set_int("OfxImageEffectPropSupportsMultipleClipPARs", &[0]);
        props.set_int("OfxImageEffectPropSetableFrameRate", &[0]);
        props.set_int("OfxImageEffectPropSetableFielding", &[0]);
        props.set_int("OfxParamHostPropSupportsCustomAnimation", &[0]);
        props.set_int("OfxParamHostPropSupportsStringAnimation", &[0]);
        props.set_int("OfxParamHostPropMaxParameters", &[-1]);
        props.set_int("OfxParamHostPropMaxPages", &[0]);
        let host = Box::new(OfxHost {
            host: props.handle(),
            fetchSuite: Some(fetch_suite),
        });
        HostState {
            config: config.clone(),
            props,
            host,
            fetched: Mutex::new(Vec::new()),
            images: Mutex::new(HashMap::new()),
        }
    });
    assert_eq!(
        (state.config.suites, state.config.temporal_access),
        (config.suites, config.temporal_access),
        "one host per process: start it with one configuration"
    );
    let _ = &state.props;
    &state.host
}

/// The host already started in this process.
pub(crate) fn start_existing() -> &'static OfxHost {
    &state().host
}

/// Whether this host grants temporal clip access.
pub(crate) fn temporal_access() -> bool {
    state().config.temporal_access
}

fn state() -> &'static HostState {
    HOST.get()
        .expect("the host is started before any plugin call")
}

/// Every `fetchSuite` request: name, version, whether it was granted.
pub fn fetched_suites() -> Vec<(String, i32, bool)> {
    lock(&state().fetched).clone()
}

unsafe extern "C" fn fetch_suite(
    _host: OfxPropertySetHandle,
    name: *const c_char,
    version: c_int,
) -> *const c_void {
    let Some(state) = HOST.get() else {
        return std::ptr::null();
    };
    if name.is_null() {
        return std::ptr::null();
    }
    let name = unsafe { CStr::from_ptr(name) }
        .to_string_lossy()
        .into_owned();
    let full = state.config.suites == SuiteLevel::Full;
    let suite: *const c_void = match (name.as_str(), version) {
        ("OfxPropertySuite", 1) => &crate::props::PROPERTY_SUITE as *const _ as *const c_void,
        ("OfxImageEffectSuite", 1) => &IMAGE_EFFECT_SUITE as *const _ as *const c_void,
        ("OfxParameterSuite", 1) => &crate::params::PARAMETER_SUITE as *const _ as *const c_void,
        ("OfxMessageSuite", 1) => &suites::MESSAGE_SUITE_V1 as *const _ as *const c_void,
        ("OfxMessageSuite", 2) if full => &suites::MESSAGE_SUITE_V2 as *const _ as *const c_void,
        ("OfxMemorySuite", 1) if full => &suites::MEMORY_SUITE as *const _ as *const c_void,
        ("OfxMultiThreadSuite", 1) if full => {
            &suites::MULTI_THREAD_SUITE as *const _ as *const c_void
        }
        ("OfxProgressSuite", 1) if full => &suites::PROGRESS_SUITE as *const _ as *const c_void,
        _ => std::ptr::null(),
    };
    lock(&state.fetched).push((name, version, !suite.is_null()));
    suite
}

unsafe fn effect<'a>(h: OfxImageEffectHandle) -> Option<&'a EffectData> {
    unsafe { (h as *const EffectData).as_ref() }
}

unsafe fn clip<'a>(h: OfxImageClipHandle) -> Option<&'a ClipData> {
    unsafe { (h as *const ClipData).as_ref() }
}

unsafe extern "C" fn get_property_set(
    e: OfxImageEffectHandle,
    out: *mut OfxPropertySetHandle,
) -> OfxStatus {
    let Some(e) = (unsafe { effect(e) }) else {
        return kOfxStatErrBadHandle;
    };
    unsafe { *out = e.props.handle() };
    kOfxStatOK
}

unsafe extern "C" fn get_param_set(
    e: OfxImageEffectHandle,
    out: *mut OfxParamSetHandle,
) -> OfxStatus {
    let Some(e) = (unsafe { effect(e) }) else {
        return kOfxStatErrBadHandle;
    };
    unsafe { *out = e.params.handle() };
    kOfxStatOK
}

unsafe extern "C" fn clip_define(
    e: OfxImageEffectHandle,
    name: *const c_char,
    out: *mut OfxPropertySetHandle,
) -> OfxStatus {
    let Some(e) = (unsafe { effect(e) }) else {
        return kOfxStatErrBadHandle;
    };
    if name.is_null() {
        return kOfxStatErrBadHandle;
    }
    let name = unsafe { CStr::from_ptr(name) }
        .to_string_lossy()
        .into_owned();
    let mut clips = lock(&e.clips);
    if clips.iter().any(|c| c.name == name) {
        return kOfxStatErrExists;
    }
    let c = Box::new(ClipData {
        name: name.clone(),
        props: PropertySet::new(),
        footage: Mutex::new(None),
        fetched: Mutex::new(Vec::new()),
        effect: e,
    });
    c.props.set_str("OfxPropType", &["OfxTypeClip"]);
    c.props.set_str("OfxPropName", &[&name]);
    if !out.is_null() {
        unsafe { *out = c.props.handle() };
    }
    clips.push(c);
    kOfxStatOK
}

unsafe extern "C" fn clip_get_handle(
    e: OfxImageEffectHandle,
    name: *const c_char,
    out: *mut OfxImageClipHandle,
    props: *mut OfxPropertySetHandle,
) -> OfxStatus {
    let Some(e) = (unsafe { effect(e) }) else {
        return kOfxStatErrBadHandle;
    };
    if name.is_null() {
        return kOfxStatErrBadHandle;
    }
    let name = unsafe { CStr::from_ptr(name) }.to_string_lossy();
    let Some(c) = e.clip(&name) else {
        return kOfxStatErrUnknown;
    };
    if !out.is_null() {
        unsafe { *out = c as *const ClipData as OfxImageClipHandle };
    }
    if !props.is_null() {
        unsafe { *props = c.props.handle() };
    }
    kOfxStatOK
}

unsafe extern "C" fn clip_get_property_set(
    c: OfxImageClipHandle,
    out: *mut OfxPropertySetHandle,
) -> OfxStatus {
    let Some(c) = (unsafe { clip(c) }) else {
        return kOfxStatErrBadHandle;
    };
    unsafe { *out = c.props.handle() };
    kOfxStatOK
}

/// Full-resolution size of what the instance shows: the Source's.
fn source_size(e: &EffectData) -> Option<(usize, usize)> {
    let src = e.clip("Source")?;
    let f = lock(&src.footage);
    let first = f.as_ref()?.first()?;
    Some((first.width, first.height))
}

unsafe extern "C" fn clip_get_region_of_definition(
    c: OfxImageClipHandle,
    _time: OfxTime,
    out: *mut OfxRectD,
) -> OfxStatus {
    let Some(c) = (unsafe { clip(c) }) else {
        return kOfxStatErrBadHandle;
    };
    let size = if c.name == "Output" {
        source_size(unsafe { &*c.effect })
    } else {
        lock(&c.footage)
            .as_ref()
            .and_then(|f| f.first().map(|f| (f.width, f.height)))
    };
    let (w, h) = size.unwrap_or((0, 0));
    unsafe {
        *out = OfxRectD {
            x1: 0.0,
            y1: 0.0,
            x2: w as f64,
            y2: h as f64,
        }
    };
    kOfxStatOK
}

/// Pack a top-down float frame into bottom-up rows of `depth`.
fn pack(frame: &Frame, depth: Depth) -> (Vec<u64>, usize) {
    let row = frame.width * frame.channels * depth.bytes();
    let row_bytes = row.div_ceil(8) * 8;
    let mut words = vec![0u64; row_bytes * frame.height / 8];
    let bytes: &mut [u8] =
        unsafe { std::slice::from_raw_parts_mut(words.as_mut_ptr().cast(), words.len() * 8) };
    for y in 0..frame.height {
        let src = frame.row(frame.height - 1 - y);
        let dst = &mut bytes[y * row_bytes..y * row_bytes + row];
        match depth {
            Depth::Float => {
                for (d, v) in dst.chunks_exact_mut(4).zip(src) {
                    d.copy_from_slice(&v.to_ne_bytes());
                }
            }
            Depth::Short => {
                for (d, v) in dst.chunks_exact_mut(2).zip(src) {
                    d.copy_from_slice(
                        &((v.clamp(0.0, 1.0) * 65535.0).round() as u16).to_ne_bytes(),
                    );
                }
            }
            Depth::Byte => {
                for (d, v) in dst.iter_mut().zip(src) {
                    *d = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
                }
            }
        }
    }
    (words, row_bytes)
}

/// The inverse of [`pack`], for reading the Output back.
pub fn unpack(
    words: &[u64],
    width: usize,
    height: usize,
    channels: usize,
    depth: Depth,
    row_bytes: usize,
    index: i64,
) -> Frame {
    let bytes: &[u8] =
        unsafe { std::slice::from_raw_parts(words.as_ptr().cast(), words.len() * 8) };
    let mut data = Vec::with_capacity(width * height * channels);
    for r in 0..height {
        let y = height - 1 - r;
        let row = &bytes[y * row_bytes..y * row_bytes + width * channels * depth.bytes()];
        match depth {
            Depth::Float => data.extend(
                row.chunks_exact(4)
                    .map(|b| f32::from_ne_bytes([b[0], b[1], b[2], b[3]])),
            ),
            Depth::Short => data.extend(
                row.chunks_exact(2)
                    .map(|b| u16::from_ne_bytes([b[0], b[1]]) as f32 / 65535.0),
            ),
            Depth::Byte => data.extend(row.iter().map(|b| *b as f32 / 255.0)),
        }
    }
    Frame {
        index,
        width,
        height,
        channels,
        data,
    }
}

fn lend(
    frame_or_buffer: (Vec<u64>, usize),
    bounds: [i32; 4],
    depth: Depth,
    components: &str,
    data: *mut c_void,
) -> OfxPropertySetHandle {
    let props = PropertySet::new();
    props.set_pointer("OfxImagePropData", data);
    props.set_int("OfxImagePropBounds", &bounds);
    props.set_int("OfxImagePropRegionOfDefinition", &bounds);
    props.set_int("OfxImagePropRowBytes", &[frame_or_buffer.1 as i32]);
    props.set_str("OfxImageEffectPropPixelDepth", &[depth.name()]);
    props.set_str("OfxImageEffectPropComponents", &[components]);
    props.set_double("OfxImagePropPixelAspectRatio", &[1.0]);
    props.set_str("OfxImagePropField", &["OfxFieldNone"]);
    props.set_str(
        "OfxImageEffectPropPreMultiplication",
        &["OfxImageAlphaUnPremultiplied"],
    );
    props.set_str("OfxImagePropUniqueIdentifier", &[&format!("{data:p}")]);
    let handle = props.handle();
    lock(&state().images).insert(
        handle as usize,
        ImageData {
            _props: props,
            _pixels: frame_or_buffer.0,
        },
    );
    handle
}

unsafe extern "C" fn clip_get_image(
    c: OfxImageClipHandle,
    time: OfxTime,
    _region: *const OfxRectD,
    out: *mut OfxPropertySetHandle,
) -> OfxStatus {
    let Some(c) = (unsafe { clip(c) }) else {
        return kOfxStatErrBadHandle;
    };
    let e = unsafe { &*c.effect };
    lock(&c.fetched).push(time);
    let mut render = lock(&e.render);
    let k = (1.0 / render.scale.max(1e-6)).round().max(1.0) as usize;
    if c.name == "Output" {
        if time != render.time || render.output.is_none() {
            let at = render.time;
            render
                .violations
                .push(format!("Output image at {time} during the render of {at}"));
            return kOfxStatFailed;
        }
        let Some((words, bounds, row_bytes, depth)) = render.output.as_mut() else {
            return kOfxStatFailed;
        };
        let data = words.as_mut_ptr() as *mut c_void;
        let comps = c
            .props
            .string("OfxImageEffectPropComponents")
            .unwrap_or_default();
        let (b, rb, d) = (*bounds, *row_bytes, *depth);
        drop(render);
        unsafe { *out = lend((Vec::new(), rb), b, d, &comps, data) };
        return kOfxStatOK;
    }
    let temporal = state().config.temporal_access;
    if time != render.time {
        if !temporal {
            render.violations.push(format!(
                "{} at {time}: no temporal access was granted",
                c.name
            ));
            return kOfxStatFailed;
        }
        match render.allowed {
            Some((lo, hi)) if time >= lo && time <= hi => {}
            other => {
                render.violations.push(format!(
                    "{} at {time} outside the frames needed {other:?}",
                    c.name
                ));
                return kOfxStatFailed;
            }
        }
    }
    drop(render);
    let footage = lock(&c.footage);
    let Some(footage) = footage.as_ref() else {
        return kOfxStatFailed;
    };
    let Some(frame) = footage.frames.get(&(time.round() as i64)) else {
        return kOfxStatFailed;
    };
    let frame = downscale(frame, k);
    let bounds = [0, 0, frame.width as i32, frame.height as i32];
    let (mut words, row_bytes) = pack(&frame, footage.depth);
    let data = words.as_mut_ptr() as *mut c_void;
    unsafe {
        *out = lend(
            (words, row_bytes),
            bounds,
            footage.depth,
            footage.components(),
            data,
        )
    };
    kOfxStatOK
}

unsafe extern "C" fn clip_release_image(image: OfxPropertySetHandle) -> OfxStatus {
    match lock(&state().images).remove(&(image as usize)) {
        Some(_) => kOfxStatOK,
        None => kOfxStatErrBadHandle,
    }
}

/// Calls of the image effect suite's `abort` so far.
static ABORT_CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
/// From which call on `abort` answers yes (`usize::MAX`: never), as a user
/// pressing Escape during a render.
static ABORT_FROM: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(usize::MAX);

/// Make `abort` answer yes from its `call`-th call on (counting from 0 at
/// the start of the process), or never.
pub fn abort_from_call(call: Option<usize>) {
    ABORT_FROM.store(
        call.unwrap_or(usize::MAX),
        std::sync::atomic::Ordering::SeqCst,
    );
}

/// How many times the plugin has asked `abort` so far.
pub fn abort_calls() -> usize {
    ABORT_CALLS.load(std::sync::atomic::Ordering::SeqCst)
}

unsafe extern "C" fn abort(_e: OfxImageEffectHandle) -> c_int {
    use std::sync::atomic::Ordering;
    let call = ABORT_CALLS.fetch_add(1, Ordering::SeqCst);
    c_int::from(call >= ABORT_FROM.load(Ordering::SeqCst))
}

unsafe extern "C" fn image_memory_alloc(
    _e: OfxImageEffectHandle,
    bytes: usize,
    out: *mut OfxImageMemoryHandle,
) -> OfxStatus {
    let block: Box<Vec<u64>> = Box::new(vec![0u64; bytes.div_ceil(8)]);
    unsafe { *out = Box::into_raw(block) as OfxImageMemoryHandle };
    kOfxStatOK
}

unsafe extern "C" fn image_memory_free(m: OfxImageMemoryHandle) -> OfxStatus {
    if m.is_null() {
        return kOfxStatErrBadHandle;
    }
    drop(unsafe { Box::from_raw(m as *mut Vec<u64>) });
    kOfxStatOK
}

unsafe extern "C" fn image_memory_lock(
    m: OfxImageMemoryHandle,
    out: *mut *mut c_void,
) -> OfxStatus {
    let Some(v) = (unsafe { (m as *mut Vec<u64>).as_mut() }) else {
        return kOfxStatErrBadHandle;
    };
    unsafe { *out = v.as_mut_ptr().cast() };
    kOfxStatOK
}

unsafe extern "C" fn image_memory_unlock(_m: OfxImageMemoryHandle) -> OfxStatus {
    kOfxStatOK
}

static IMAGE_EFFECT_SUITE: OfxImageEffectSuiteV1 = OfxImageEffectSuiteV1 {
    getPropertySet: Some(get_property_set),
    getParamSet: Some(get_param_set),
    clipDefine: Some(clip_define),
    clipGetHandle: Some(clip_get_handle),
    clipGetPropertySet: Some(clip_get_property_set),
    clipGetImage: Some(clip_get_image),
    clipReleaseImage: Some(clip_release_image),
    clipGetRegionOfDefinition: Some(clip_get_region_of_definition),
    abort: Some(abort),
    imageMemoryAlloc: Some(image_memory_alloc),
    imageMemoryFree: Some(image_memory_free),
    imageMemoryLock: Some(image_memory_lock),
    imageMemoryUnlock: Some(image_memory_unlock),
};

/// Prepare the Output buffer of a render.
pub(crate) fn begin_render(
    e: &EffectData,
    time: f64,
    scale: f64,
    allowed: Option<(f64, f64)>,
) -> Option<(usize, usize, usize, Depth)> {
    let (w, h) = source_size(e)?;
    let k = (1.0 / scale).round().max(1.0) as usize;
    let (w, h) = (w / k, h / k);
    let out = e.clip("Output")?;
    let channels = match out.props.string("OfxImageEffectPropComponents").as_deref() {
        Some("OfxImageComponentRGB") => 3,
        Some("OfxImageComponentAlpha") => 1,
        _ => 4,
    };
    let depth = Depth::parse(
        &out.props
            .string("OfxImageEffectPropPixelDepth")
            .unwrap_or_default(),
    );
    let blank = Frame::filled(0, w, h, channels, 0.0);
    let (words, row_bytes) = pack(&blank, depth);
    let mut r = lock(&e.render);
    r.time = time;
    r.scale = scale;
    r.allowed = allowed;
    r.output = Some((words, [0, 0, w as i32, h as i32], row_bytes, depth));
    Some((w, h, channels, depth))
}

/// Take the Output of the render that just ran.
pub(crate) fn end_render(e: &EffectData, index: i64, channels: usize) -> Option<Frame> {
    let mut r = lock(&e.render);
    let (words, bounds, row_bytes, depth) = r.output.take()?;
    Some(unpack(
        &words,
        bounds[2] as usize,
        bounds[3] as usize,
        channels,
        depth,
        row_bytes,
        index,
    ))
}
