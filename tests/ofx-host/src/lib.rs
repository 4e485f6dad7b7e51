//! An OpenFX host written in Rust, for testing and benchmarking Retake's
//! plugin the way a compositing application uses it: the bundle is loaded
//! from disk through its `Info.plist` and `OfxGetPlugin`, and every call
//! goes through the C ABI (`ofx-abi`), never through Rust functions of
//! the plugin.
//!
//! It implements the property, image effect, parameter, memory,
//! multi-thread, message (v1, v2) and progress suites; it can withhold all
//! but the version-1 suites, and temporal clip access, to play a small host.
//! It checks what a strict host checks: images fetched only at the times
//! the effect said it needs, handles valid, types right.

// Status codes keep the official headers' names (kOfxStatOK), also in patterns.
#![allow(non_upper_case_globals)]

pub mod host;
pub mod hostsupport;
pub mod params;
pub mod props;
pub mod suites;
pub mod synthetic;

use std::collections::BTreeMap;
use std::ffi::{c_int, c_void, CStr, CString};
use std::path::{Path, PathBuf};

use ofx_abi::*;
use retake_core::Frame;

pub use host::{
    downscale, fetched_suites, start, Depth, EffectData, Footage, HostConfig, SuiteLevel,
};
pub use props::{PropertySet, Value};
pub use suites::Message;

use suites::{lock, JOURNAL};

/// A loaded `Retake.ofx.bundle`.
pub struct Bundle {
    /// Kept loaded for the life of the process: plugins hold threads and
    /// statics that must not be unmapped under them.
    _library: &'static libloading::Library,
    pub binary: PathBuf,
    plugins: Vec<*mut OfxPlugin>,
}

/// The executable a bundle's `Info.plist` names.
pub fn bundle_executable(bundle: &Path) -> Result<String, String> {
    let plist = bundle.join("Contents/Info.plist");
    let text = std::fs::read_to_string(&plist).map_err(|e| format!("{}: {e}", plist.display()))?;
    let after = text
        .split("<key>CFBundleExecutable</key>")
        .nth(1)
        .ok_or_else(|| format!("{}: no CFBundleExecutable", plist.display()))?;
    let start = after
        .find("<string>")
        .ok_or("CFBundleExecutable has no <string>")?
        + "<string>".len();
    let end = after[start..]
        .find("</string>")
        .ok_or("unterminated <string>")?
        + start;
    Ok(after[start..end].trim().to_string())
}

/// `OfxGetNumberOfPlugins` and `OfxGetPlugin` as a binary exports them
/// (ofxCore.h declares them as functions, so bindgen makes no pointer type).
type OfxGetNumberOfPluginsFn = unsafe extern "C" fn() -> c_int;
type OfxGetPluginFn = unsafe extern "C" fn(nth: c_int) -> *mut OfxPlugin;

impl Bundle {
    /// Load a bundle as a host does: `Info.plist` names the binary in
    /// `Contents/Linux-x86-64/`, which exports `OfxGetNumberOfPlugins` and
    /// `OfxGetPlugin`.
    pub fn load(bundle: &Path) -> Result<Bundle, String> {
        let exe = bundle_executable(bundle)?;
        let binary = bundle.join("Contents/Linux-x86-64").join(&exe);
        // SAFETY: loading runs the plugin's initialisers; it is the binary
        // under test.
        let library = unsafe { libloading::Library::new(&binary) }
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        let library: &'static libloading::Library = Box::leak(Box::new(library));
        // SAFETY: the symbols' types are fixed by the OpenFX standard.
        let (count, get) = unsafe {
            let count: libloading::Symbol<OfxGetNumberOfPluginsFn> = library
                .get(b"OfxGetNumberOfPlugins")
                .map_err(|e| format!("OfxGetNumberOfPlugins: {e}"))?;
            let get: libloading::Symbol<OfxGetPluginFn> = library
                .get(b"OfxGetPlugin")
                .map_err(|e| format!("OfxGetPlugin: {e}"))?;
            (*count, *get)
        };
        // SAFETY: plain calls into the plugin's exported functions.
        let n = unsafe { count() };
        let plugins = (0..n).map(|i| unsafe { get(i) }).collect::<Vec<_>>();
        if plugins.iter().any(|p| p.is_null()) {
            return Err("OfxGetPlugin returned null for an index below the count".into());
        }
        Ok(Bundle {
            _library: library,
            binary,
            plugins,
        })
    }

    /// Identifiers of the plugins, in `OfxGetPlugin` order.
    pub fn identifiers(&self) -> Vec<String> {
        self.plugins
            .iter()
            // SAFETY: non-null plugin structs with static identifiers.
            .map(|p| {
                unsafe { CStr::from_ptr((**p).pluginIdentifier) }
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    }

    /// The plugin `id`, told who its host is and loaded.
    pub fn plugin(&self, id: &str, host: &'static OfxHost) -> Result<Plugin, String> {
        let i = self
            .identifiers()
            .iter()
            .position(|x| x == id)
            .ok_or_else(|| format!("no plugin {id} in {}", self.binary.display()))?;
        let raw = self.plugins[i];
        // SAFETY: a plugin struct from OfxGetPlugin.
        let p = unsafe { &*raw };
        let api = unsafe { CStr::from_ptr(p.pluginApi) };
        if api != kOfxImageEffectPluginApi || p.apiVersion != 1 {
            return Err(format!("{id}: API {api:?} version {}", p.apiVersion));
        }
        let set_host = p.setHost.ok_or("setHost is null")?;
        // SAFETY: the host lives for the whole process.
        unsafe { set_host(host as *const OfxHost as *mut OfxHost) };
        let plugin = Plugin {
            raw,
            id: id.to_string(),
        };
        let status = plugin.call(
            kOfxActionLoad,
            std::ptr::null(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        );
        if status != kOfxStatOK && status != kOfxStatReplyDefault {
            return Err(format!("{id}: load failed with status {status}"));
        }
        Ok(plugin)
    }
}

// SAFETY: plugin structs are static tables in the loaded binary.
unsafe impl Send for Bundle {}
unsafe impl Sync for Bundle {}

/// One plugin of a bundle.
pub struct Plugin {
    raw: *mut OfxPlugin,
    pub id: String,
}

// SAFETY: see Bundle.
unsafe impl Send for Plugin {}
unsafe impl Sync for Plugin {}

/// A context an effect is described or instantiated in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    Filter,
    General,
}

impl Context {
    pub fn name(self) -> &'static str {
        match self {
            Context::Filter => "OfxImageEffectContextFilter",
            Context::General => "OfxImageEffectContextGeneral",
        }
    }
}

impl Plugin {
    /// Call the plugin's entry point.
    fn call(
        &self,
        action: &CStr,
        handle: *const c_void,
        in_args: OfxPropertySetHandle,
        out_args: OfxPropertySetHandle,
    ) -> OfxStatus {
        // SAFETY: a plugin struct from OfxGetPlugin with its entry point.
        match unsafe { (*self.raw).mainEntry } {
            Some(f) => unsafe { f(action.as_ptr(), handle, in_args, out_args) },
            None => kOfxStatErrMissingHostFeature,
        }
    }

    /// The describe action on a fresh descriptor.
    pub fn describe(&self) -> Result<Box<EffectData>, OfxStatus> {
        let d = EffectData::new();
        d.props.set_str("OfxPropType", &["OfxTypeImageEffect"]);
        let s = self.call(
            kOfxActionDescribe,
            d.handle() as *const c_void,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        );
        if s != kOfxStatOK {
            return Err(s);
        }
        Ok(d)
    }

    /// Describe, then describe in `context`.
    pub fn describe_in_context(&self, context: Context) -> Result<Box<EffectData>, OfxStatus> {
        let d = self.describe()?;
        let args = PropertySet::new();
        args.set_str("OfxImageEffectPropContext", &[context.name()]);
        let s = self.call(
            kOfxImageEffectActionDescribeInContext,
            d.handle() as *const c_void,
            args.handle(),
            std::ptr::null_mut(),
        );
        if s != kOfxStatOK {
            return Err(s);
        }
        Ok(d)
    }

    /// An instance in `context`, made from a fresh description as a host
    /// does: the descriptor's clips and parameters become the instance's.
    pub fn instance(&self, context: Context) -> Result<Instance<'_>, OfxStatus> {
        let desc = self.describe_in_context(context)?;
        let e = EffectData::new();
        for (k, v) in desc.props.snapshot() {
            e.props.set(&k, v);
        }
        e.props
            .set_str("OfxImageEffectPropContext", &[context.name()]);
        e.props
            .set_str("OfxPropType", &["OfxTypeImageEffectInstance"]);
        e.props.set_int("OfxPropIsInteractive", &[0]);
        e.props
            .set_double("OfxImageEffectPropProjectSize", &[0.0, 0.0]);
        e.props.set_double("OfxImageEffectPropFrameRate", &[24.0]);
        e.props
            .set_pointer("OfxPropInstanceData", std::ptr::null_mut());
        {
            let mut params = lock(&e.params.params);
            for p in lock(&desc.params.params).iter() {
                params.push(params::Param::instantiate(p));
            }
        }
        for name in desc.clip_names() {
            let name_c = CString::new(name.clone()).unwrap_or_default();
            // SAFETY: defining clips on our own effect data through the suite.
            let mut props: OfxPropertySetHandle = std::ptr::null_mut();
            let st = unsafe { define_clip(&e, &name_c, &mut props) };
            if st != kOfxStatOK {
                return Err(st);
            }
            let (Some(from), Some(to)) = (desc.clip(&name), e.clip(&name)) else {
                return Err(kOfxStatErrUnknown);
            };
            for (k, v) in from.props.snapshot() {
                to.props.set(&k, v);
            }
            to.props
                .set_int("OfxImageClipPropConnected", &[(name == "Output") as i32]);
            to.props
                .set_str("OfxImageClipPropFieldOrder", &["OfxFieldNone"]);
            to.props.set_double("OfxImagePropPixelAspectRatio", &[1.0]);
        }
        // A new instance may sit where a destroyed one was: forget what
        // was said about that address.
        let at = e.handle() as usize;
        lock(&JOURNAL.messages).retain(|m| m.effect != at);
        lock(&JOURNAL.persistent).retain(|(x, _)| *x != at);
        let instance = Instance {
            plugin: self,
            effect: e,
        };
        let s = self.call(
            kOfxActionCreateInstance,
            instance.effect.handle() as *const c_void,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        );
        if s != kOfxStatOK {
            return Err(s);
        }
        Ok(instance)
    }
}

unsafe fn define_clip(e: &EffectData, name: &CStr, props: &mut OfxPropertySetHandle) -> OfxStatus {
    // SAFETY: the suite is a static set once before any effect is described.
    let suite = unsafe { &*std::ptr::addr_of!(host_image_effect_suite::SUITE) };
    match suite.get() {
        Some(s) => match s.clipDefine {
            Some(f) => unsafe { f(e.handle(), name.as_ptr(), props) },
            None => kOfxStatErrMissingHostFeature,
        },
        None => kOfxStatErrMissingHostFeature,
    }
}

mod host_image_effect_suite {
    //! The host's own image effect suite, looked up as the plugin does.
    use std::sync::OnceLock;

    pub struct Suite(OnceLock<&'static ofx_abi::OfxImageEffectSuiteV1>);

    impl Suite {
        pub fn get(&self) -> Option<&'static ofx_abi::OfxImageEffectSuiteV1> {
            Some(*self.0.get_or_init(|| {
                let host = super::host::start_existing();
                // SAFETY: our own fetchSuite, asked for a suite it has.
                unsafe {
                    let f = host.fetchSuite.expect("fetchSuite");
                    &*(f(host.host, c"OfxImageEffectSuite".as_ptr(), 1)
                        as *const ofx_abi::OfxImageEffectSuiteV1)
                }
            }))
        }
    }

    pub static SUITE: Suite = Suite(OnceLock::new());
}

/// An effect instance in the host.
pub struct Instance<'p> {
    plugin: &'p Plugin,
    effect: Box<EffectData>,
}

/// How a render came out.
#[derive(Debug)]
pub struct Rendered {
    pub status: OfxStatus,
    /// The Output, read back as float (top row first).
    pub frame: Option<Frame>,
}

impl Instance<'_> {
    pub fn effect(&self) -> &EffectData {
        &self.effect
    }

    fn handle(&self) -> *const c_void {
        self.effect.handle() as *const c_void
    }

    fn param(&self, name: &str) -> &params::Param {
        let h = self
            .effect
            .params
            .find(name)
            .unwrap_or_else(|| panic!("no parameter {name}"));
        // SAFETY: a live parameter of this instance.
        unsafe { params::param(h) }.unwrap_or_else(|| panic!("bad parameter {name}"))
    }

    /// Set a parameter (numbers; booleans 0/1; RGB three values).
    pub fn set(&self, name: &str, values: &[f64]) {
        self.param(name).set_value(values);
    }

    /// Key a parameter at `time`.
    pub fn set_key(&self, name: &str, time: f64, values: &[f64]) {
        self.param(name).set_key(time, values);
    }

    /// The options of a choice parameter.
    pub fn options(&self, name: &str) -> Vec<String> {
        self.param(name)
            .props
            .strings("OfxParamPropChoiceOption")
            .unwrap_or_default()
    }

    /// Choose the option `option` of a choice parameter.
    pub fn choose(&self, name: &str, option: &str) {
        let options = self.options(name);
        let i = options
            .iter()
            .position(|o| o == option)
            .unwrap_or_else(|| panic!("{name} has no option {option:?} (has {options:?})"));
        self.set(name, &[i as f64]);
    }

    /// Connect (or with `None`, disconnect) an input clip.
    pub fn connect(&self, clip: &str, footage: Option<Footage>) {
        let c = self
            .effect
            .clip(clip)
            .unwrap_or_else(|| panic!("no clip {clip}"));
        if let Some(f) = &footage {
            c.props
                .set_str("OfxImageEffectPropComponents", &[f.components()]);
            c.props
                .set_str("OfxImageClipPropUnmappedComponents", &[f.components()]);
            c.props
                .set_str("OfxImageEffectPropPixelDepth", &[f.depth.name()]);
            c.props
                .set_str("OfxImageClipPropUnmappedPixelDepth", &[f.depth.name()]);
            let first = f.frames.keys().next().copied().unwrap_or(0) as f64;
            let last = f.frames.keys().next_back().copied().unwrap_or(0) as f64;
            c.props
                .set_double("OfxImageEffectPropFrameRange", &[first, last]);
            c.props.set_double("OfxImageClipPropFrameRate", &[24.0]);
        }
        c.props
            .set_int("OfxImageClipPropConnected", &[footage.is_some() as i32]);
        *lock(&c.footage) = footage;
    }

    /// Times the plugin asked `clip` for, since the last call.
    pub fn take_fetched(&self, clip: &str) -> Vec<f64> {
        self.effect
            .clip(clip)
            .map(|c| std::mem::take(&mut *lock(&c.fetched)))
            .unwrap_or_default()
    }

    /// Requests the host refused (fetches outside the frames needed...).
    pub fn violations(&self) -> Vec<String> {
        lock(&self.effect.render).violations.clone()
    }

    /// Messages the plugin sent about this instance.
    pub fn messages(&self) -> Vec<Message> {
        let me = self.handle() as usize;
        lock(&JOURNAL.messages)
            .iter()
            .filter(|m| m.effect == me)
            .cloned()
            .collect()
    }

    /// The persistent message showing on this instance.
    pub fn persistent_message(&self) -> Option<String> {
        let me = self.handle() as usize;
        lock(&JOURNAL.persistent)
            .iter()
            .find(|(e, _)| *e == me)
            .map(|(_, t)| t.clone())
    }

    fn action(&self, action: &CStr, in_args: &PropertySet, out_args: &PropertySet) -> OfxStatus {
        self.plugin
            .call(action, self.handle(), in_args.handle(), out_args.handle())
    }

    pub fn region_of_definition(&self, time: f64, scale: f64) -> Result<[f64; 4], OfxStatus> {
        let (i, o) = (PropertySet::new(), PropertySet::new());
        i.set_double("OfxPropTime", &[time]);
        i.set_double("OfxImageEffectPropRenderScale", &[scale, scale]);
        match self.action(kOfxImageEffectActionGetRegionOfDefinition, &i, &o) {
            kOfxStatOK => o
                .doubles("OfxImageEffectPropRegionOfDefinition")
                .and_then(|v| v.try_into().ok())
                .ok_or(kOfxStatErrValue),
            s => Err(s),
        }
    }

    /// Regions of interest by clip name, for an output region.
    pub fn regions_of_interest(
        &self,
        time: f64,
        scale: f64,
        region: [f64; 4],
    ) -> Result<BTreeMap<String, Vec<f64>>, OfxStatus> {
        let (i, o) = (PropertySet::new(), PropertySet::new());
        i.set_double("OfxPropTime", &[time]);
        i.set_double("OfxImageEffectPropRenderScale", &[scale, scale]);
        i.set_double("OfxImageEffectPropRegionOfInterest", &region);
        match self.action(kOfxImageEffectActionGetRegionsOfInterest, &i, &o) {
            kOfxStatOK => Ok(prefixed(&o, CLIP_ROI_PREFIX)),
            s => Err(s),
        }
    }

    /// Frame ranges needed by clip name.
    pub fn frames_needed(&self, time: f64) -> Result<BTreeMap<String, Vec<f64>>, OfxStatus> {
        let (i, o) = (PropertySet::new(), PropertySet::new());
        i.set_double("OfxPropTime", &[time]);
        match self.action(kOfxImageEffectActionGetFramesNeeded, &i, &o) {
            kOfxStatOK => Ok(prefixed(&o, CLIP_FRAME_RANGE_PREFIX)),
            kOfxStatReplyDefault => Ok(BTreeMap::new()),
            s => Err(s),
        }
    }

    /// Ask the clip preferences and apply them to the Output clip, as a
    /// host does before rendering.
    pub fn clip_preferences(&self) -> Result<(String, String), OfxStatus> {
        let (i, o) = (PropertySet::new(), PropertySet::new());
        let src = self.effect.clip("Source").ok_or(kOfxStatErrUnknown)?;
        let mut components = src
            .props
            .string("OfxImageEffectPropComponents")
            .unwrap_or_default();
        let mut depth = src
            .props
            .string("OfxImageEffectPropPixelDepth")
            .unwrap_or_default();
        match self.action(kOfxImageEffectActionGetClipPreferences, &i, &o) {
            kOfxStatOK => {
                if let Some(c) = o.string("OfxImageClipPropComponents_Output") {
                    components = c;
                }
                if let Some(d) = o.string("OfxImageClipPropDepth_Output") {
                    depth = d;
                }
            }
            kOfxStatReplyDefault => {}
            s => return Err(s),
        }
        let out = self.effect.clip("Output").ok_or(kOfxStatErrUnknown)?;
        out.props
            .set_str("OfxImageEffectPropComponents", &[&components]);
        out.props.set_str("OfxImageEffectPropPixelDepth", &[&depth]);
        Ok((components, depth))
    }

    /// Render the whole frame at `time` and `scale`, as a host does: clip
    /// preferences, frames needed (when the host grants temporal access;
    /// fetches outside them are refused), then the render action.
    pub fn render(&self, time: f64, scale: f64) -> Rendered {
        let failed = |status| Rendered {
            status,
            frame: None,
        };
        if let Err(s) = self.clip_preferences() {
            return failed(s);
        }
        let temporal = host::temporal_access();
        let allowed = if temporal {
            match self.frames_needed(time) {
                Ok(ranges) => ranges
                    .get("Source")
                    .and_then(|r| (r.len() >= 2).then(|| (r[0], r[1]))),
                Err(s) => return failed(s),
            }
        } else {
            None
        };
        let Some((w, h, channels, _)) = host::begin_render(&self.effect, time, scale, allowed)
        else {
            return failed(kOfxStatErrUnknown);
        };
        let (i, o) = (PropertySet::new(), PropertySet::new());
        i.set_double("OfxPropTime", &[time]);
        i.set_double("OfxImageEffectPropRenderScale", &[scale, scale]);
        i.set_int(
            "OfxImageEffectPropRenderWindow",
            &[0, 0, w as i32, h as i32],
        );
        i.set_str("OfxImageEffectPropFieldToRender", &["OfxImageFieldNone"]);
        i.set_int("OfxImageEffectPropSequentialRenderStatus", &[0]);
        i.set_int("OfxImageEffectPropInteractiveRenderStatus", &[0]);
        let status = self.action(kOfxImageEffectActionRender, &i, &o);
        let frame = host::end_render(&self.effect, time.round() as i64, channels);
        Rendered {
            status,
            frame: if status == kOfxStatOK { frame } else { None },
        }
    }
}

impl Drop for Instance<'_> {
    fn drop(&mut self) {
        let _ = self.plugin.call(
            kOfxActionDestroyInstance,
            self.handle(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        );
    }
}

fn prefixed(o: &PropertySet, prefix: &str) -> BTreeMap<String, Vec<f64>> {
    o.snapshot()
        .into_iter()
        .filter_map(|(k, v)| {
            let clip = k.strip_prefix(prefix)?.to_string();
            match v {
                Value::Double(d) => Some((clip, d)),
                _ => None,
            }
        })
        .collect()
}

/// Status of a call as a number, for messages.
pub fn status_name(s: c_int) -> String {
    format!("status {s}")
}
