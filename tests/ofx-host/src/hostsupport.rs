//! The second test host: the official OpenFX HostSupport library (C++,
//! compiled by build.rs from the openfx-sys crate's source tree) with a
//! small host on top (`src/hostsupport/host.cpp`). HostSupport checks
//! every property name and type as hosts built on it (and Natron's, which
//! shares its validation) do; the Rust host stays the stricter one about
//! frame access. It scans `OFX_PLUGIN_PATH` and loads the bundle as a host
//! does. One host per process: a test file uses this host or the Rust one.

use std::ffi::{c_char, c_double, c_int, c_void, CString};
use std::path::Path;
use std::sync::OnceLock;

use ofx_abi::OfxStatus;
use retake_core::Frame;

use crate::{Context, Footage, Rendered};

extern "C" {
    fn retake_hs_start(plugin_path: *const c_char, temporal: c_int) -> c_int;
    fn retake_hs_plugins(out: *mut c_char, len: usize);
    fn retake_hs_take_messages(out: *mut c_char, len: usize);
    fn retake_hs_instance(
        id: *const c_char,
        context: *const c_char,
        quirks: c_int,
        status: *mut c_int,
    ) -> *mut c_void;
    fn retake_hs_instance_free(effect: *mut c_void);
    fn retake_hs_set(
        effect: *mut c_void,
        name: *const c_char,
        v: *const c_double,
        n: c_int,
    ) -> c_int;
    fn retake_hs_options(
        effect: *mut c_void,
        name: *const c_char,
        out: *mut c_char,
        len: usize,
    ) -> c_int;
    fn retake_hs_params(effect: *mut c_void, out: *mut c_char, len: usize) -> c_int;
    fn retake_hs_connect(
        effect: *mut c_void,
        clip: *const c_char,
        width: c_int,
        height: c_int,
        channels: c_int,
        depth: *const c_char,
        first: c_int,
        count: c_int,
        data: *const f32,
    ) -> c_int;
    fn retake_hs_render(
        effect: *mut c_void,
        time: c_double,
        out: *mut f32,
        out_len: usize,
        channels: *mut c_int,
    ) -> c_int;
    fn retake_hs_take_fetched(
        effect: *mut c_void,
        clip: *const c_char,
        out: *mut c_double,
        len: c_int,
    ) -> c_int;
}

fn c(text: &str) -> CString {
    CString::new(text).unwrap_or_default()
}

/// Text the C side writes into a buffer.
fn text_from(fill: impl FnOnce(*mut c_char, usize)) -> String {
    let mut buf = vec![0u8; 1 << 20];
    fill(buf.as_mut_ptr().cast(), buf.len());
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// Start the host once per process on the folder holding the bundle
/// (`OFX_PLUGIN_PATH`); `temporal`: whether it grants temporal access.
/// Later calls keep the first host.
pub fn start(plugin_path: &Path, temporal: bool) -> Result<(), String> {
    static STARTED: OnceLock<c_int> = OnceLock::new();
    let path = c(&plugin_path.display().to_string());
    // SAFETY: a NUL-terminated path; the host copies it.
    let st = *STARTED.get_or_init(|| unsafe { retake_hs_start(path.as_ptr(), temporal as c_int) });
    if st == 0 {
        Ok(())
    } else {
        Err(format!(
            "HostSupport could not scan {}",
            plugin_path.display()
        ))
    }
}

/// Identifiers of the effects HostSupport found and accepted.
pub fn plugins() -> Vec<String> {
    // SAFETY: the C side writes at most `len` bytes, NUL-terminated.
    text_from(|p, n| unsafe { retake_hs_plugins(p, n) })
        .lines()
        .map(str::to_string)
        .collect()
}

/// Messages the plugin sent since the last call: `kind<TAB>[persistent]<TAB>text`.
pub fn take_messages() -> Vec<String> {
    // SAFETY: as for `plugins`.
    text_from(|p, n| unsafe { retake_hs_take_messages(p, n) })
        .lines()
        .map(str::to_string)
        .collect()
}

/// A parameter as the HostSupport host holds it after the effect defined
/// it: OpenFX type, label, default (a choice's: its index), hard and
/// display limits (numbers only), whether it animates, and its hint.
#[derive(Clone, Debug, PartialEq)]
pub struct HsParam {
    pub name: String,
    pub kind: String,
    pub label: String,
    pub default: Option<f64>,
    pub limits: Option<(f64, f64)>,
    pub display: Option<(f64, f64)>,
    pub animates: bool,
    pub hint: String,
}

impl HsParam {
    fn parse(line: &str) -> Option<HsParam> {
        let f: Vec<&str> = line.splitn(10, '\t').collect();
        if f.len() < 10 {
            return None;
        }
        let num = |s: &str| s.parse::<f64>().ok();
        let pair = |a: &str, b: &str| Some((num(a)?, num(b)?));
        Some(HsParam {
            name: f[0].into(),
            kind: f[1].into(),
            label: f[2].into(),
            default: num(f[3]),
            limits: pair(f[4], f[5]),
            display: pair(f[6], f[7]),
            animates: f[8] == "1",
            hint: f[9].into(),
        })
    }
}

/// Behaviours of real hosts the HostSupport host can play.
#[derive(Clone, Copy, Debug, Default)]
pub struct Quirks {
    /// Report unconnected optional clips as connected and give no image
    /// for them (DaVinci Resolve).
    pub unconnected_reported_connected: bool,
    /// Give no clip frame range.
    pub no_clip_frame_range: bool,
    /// Give no effect duration either.
    pub no_effect_duration: bool,
}

impl Quirks {
    fn bits(self) -> c_int {
        self.unconnected_reported_connected as c_int
            | (self.no_clip_frame_range as c_int) << 1
            | (self.no_effect_duration as c_int) << 2
    }
}

/// An effect instance in the HostSupport host.
pub struct HsInstance {
    raw: *mut c_void,
    /// Output size (the Source's).
    size: (usize, usize),
}

impl HsInstance {
    /// Load, describe, describe in `context` and create an instance in a
    /// host that behaves as `quirks` says.
    pub fn new(id: &str, context: Context, quirks: Quirks) -> Result<HsInstance, OfxStatus> {
        let (id, ctx) = (c(id), c(context.name()));
        let mut status: c_int = 0;
        // SAFETY: NUL-terminated strings and a slot for the status.
        let raw =
            unsafe { retake_hs_instance(id.as_ptr(), ctx.as_ptr(), quirks.bits(), &mut status) };
        if raw.is_null() {
            Err(status)
        } else {
            Ok(HsInstance { raw, size: (0, 0) })
        }
    }

    /// Set a parameter: numbers, booleans 0/1, a choice's index, RGB.
    pub fn set(&self, name: &str, values: &[f64]) {
        let n = c(name);
        // SAFETY: a live instance, a name and `values.len()` doubles.
        let st =
            unsafe { retake_hs_set(self.raw, n.as_ptr(), values.as_ptr(), values.len() as c_int) };
        assert_eq!(st, 0, "no settable parameter {name}");
    }

    /// The options of a choice parameter.
    pub fn options(&self, name: &str) -> Vec<String> {
        let n = c(name);
        // SAFETY: as for `set`; the C side writes at most `len` bytes.
        text_from(|p, len| unsafe {
            retake_hs_options(self.raw, n.as_ptr(), p, len);
        })
        .lines()
        .map(str::to_string)
        .collect()
    }

    /// Every parameter the effect defined, as the host holds it.
    pub fn params(&self) -> Vec<HsParam> {
        // SAFETY: a live instance; the C side writes at most `len` bytes.
        text_from(|p, len| unsafe {
            retake_hs_params(self.raw, p, len);
        })
        .lines()
        .filter_map(HsParam::parse)
        .collect()
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
    pub fn connect(&mut self, clip: &str, footage: Option<&Footage>) {
        let name = c(clip);
        let Some(f) = footage else {
            // SAFETY: null data disconnects.
            unsafe {
                retake_hs_connect(
                    self.raw,
                    name.as_ptr(),
                    0,
                    0,
                    0,
                    c"".as_ptr(),
                    0,
                    0,
                    std::ptr::null(),
                )
            };
            return;
        };
        let frames: Vec<&Frame> = f.frames.values().collect();
        let first = frames.first().expect("footage has frames");
        let data: Vec<f32> = frames.iter().flat_map(|f| f.data.iter().copied()).collect();
        let depth = c(f.depth.name());
        // SAFETY: `data` holds `frames.len()` frames of that size and channel count.
        let st = unsafe {
            retake_hs_connect(
                self.raw,
                name.as_ptr(),
                first.width as c_int,
                first.height as c_int,
                first.channels as c_int,
                depth.as_ptr(),
                first.index as c_int,
                frames.len() as c_int,
                data.as_ptr(),
            )
        };
        assert_eq!(st, 0, "no clip {clip}");
        if clip == "Source" {
            self.size = (first.width, first.height);
        }
    }

    /// Render frame `time` at full scale as HostSupport drives an effect.
    pub fn render(&self, time: f64) -> Rendered {
        let (w, h) = self.size;
        let mut out = vec![0.0f32; w * h * 4];
        let mut channels: c_int = 0;
        // SAFETY: `out` has room for the Output at four channels.
        let status =
            unsafe { retake_hs_render(self.raw, time, out.as_mut_ptr(), out.len(), &mut channels) };
        let frame = (status == 0).then(|| {
            let channels = channels.max(1) as usize;
            out.truncate(w * h * channels);
            Frame {
                index: time.round() as i64,
                width: w,
                height: h,
                channels,
                data: out,
            }
        });
        Rendered { status, frame }
    }

    /// Times the plugin fetched from `clip` since the last call.
    pub fn take_fetched(&self, clip: &str) -> Vec<f64> {
        let name = c(clip);
        let mut buf = vec![0.0f64; 4096];
        // SAFETY: room for `buf.len()` times.
        let n = unsafe {
            retake_hs_take_fetched(
                self.raw,
                name.as_ptr(),
                buf.as_mut_ptr(),
                buf.len() as c_int,
            )
        };
        buf.truncate((n.max(0) as usize).min(4096));
        buf
    }
}

impl Drop for HsInstance {
    fn drop(&mut self) {
        // SAFETY: made by retake_hs_instance, freed once.
        unsafe { retake_hs_instance_free(self.raw) }
    }
}
