//! Host images <-> core frames. Host images are float, 16-bit or 8-bit,
//! RGBA, RGB or alpha, rows bottom-up with any row stride (negative too);
//! core frames are interleaved `f32`, top row first. Conversion happens
//! once at this edge, as everywhere else in Retake.

use std::ffi::c_int;

use ofx_abi::*;
use retake_core::Frame;
use retake_imageops::luma::luma;

use crate::host::{ofx_call, PResult, PluginError, Props, Suites};

/// Bits per channel of a host image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depth {
    Byte,
    Short,
    Float,
}

impl Depth {
    pub fn parse(name: &str) -> PResult<Depth> {
        match name {
            x if same(x, kOfxBitDepthByte) => Ok(Depth::Byte),
            x if same(x, kOfxBitDepthShort) => Ok(Depth::Short),
            x if same(x, kOfxBitDepthFloat) => Ok(Depth::Float),
            other => Err(PluginError {
                status: kOfxStatErrImageFormat,
                message: format!(
                    "pixel depth `{other}` is not supported (float, 16-bit and 8-bit are)"
                ),
            }),
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

/// Channels of a host image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Components {
    Rgba,
    Rgb,
    Alpha,
}

impl Components {
    pub fn parse(name: &str) -> PResult<Components> {
        match name {
            x if same(x, kOfxImageComponentRGBA) => Ok(Components::Rgba),
            x if same(x, kOfxImageComponentRGB) => Ok(Components::Rgb),
            x if same(x, kOfxImageComponentAlpha) => Ok(Components::Alpha),
            other => Err(PluginError {
                status: kOfxStatErrImageFormat,
                message: format!(
                    "components `{other}` are not supported (RGBA, RGB and alpha are)"
                ),
            }),
        }
    }

    pub fn count(self) -> usize {
        match self {
            Components::Rgba => 4,
            Components::Rgb => 3,
            Components::Alpha => 1,
        }
    }

    pub fn name(self) -> &'static std::ffi::CStr {
        match self {
            Components::Rgba => kOfxImageComponentRGBA,
            Components::Rgb => kOfxImageComponentRGB,
            Components::Alpha => kOfxImageComponentAlpha,
        }
    }
}

/// An image the host lent us; released when dropped.
pub struct Image<'a> {
    suites: &'a Suites,
    handle: OfxPropertySetHandle,
    data: *mut u8,
    pub bounds: OfxRectI,
    row_bytes: isize,
    pub depth: Depth,
    pub components: Components,
}

impl<'a> Image<'a> {
    /// The clip's image at `time`, or `None` when the host has none there
    /// (outside the clip, or an unconnected input).
    pub fn fetch(suites: &'a Suites, clip: OfxImageClipHandle, time: f64) -> PResult<Option<Self>> {
        let mut handle: OfxPropertySetHandle = std::ptr::null_mut();
        // SAFETY: a clip handle of this instance, no region (the whole RoI).
        let got = unsafe {
            ofx_call!(
                suites.effect,
                clipGetImage(clip, time, std::ptr::null(), &mut handle)
            )
        };
        if got.is_err() || handle.is_null() {
            return Ok(None);
        }
        let mut image = Image {
            suites,
            handle,
            data: std::ptr::null_mut(),
            bounds: OfxRectI::default(),
            row_bytes: 0,
            depth: Depth::Float,
            components: Components::Rgba,
        };
        // From here on `image` releases the handle whatever happens.
        let props = Props::new(suites, handle);
        image.data = props.pointer(kOfxImagePropData, 0)?.cast();
        let [x1, y1, x2, y2] = props.ints::<4>(kOfxImagePropBounds)?;
        image.bounds = OfxRectI { x1, y1, x2, y2 };
        image.row_bytes = props.int(kOfxImagePropRowBytes, 0)? as isize;
        image.depth = Depth::parse(&props.string(kOfxImageEffectPropPixelDepth, 0)?)?;
        image.components = Components::parse(&props.string(kOfxImageEffectPropComponents, 0)?)?;
        image.check()?;
        Ok(Some(image))
    }

    fn check(&self) -> PResult<()> {
        let row = self.width() * self.pixel_bytes();
        if self.data.is_null() || x_range(&self.bounds) == 0 || y_range(&self.bounds) == 0 {
            return Err(PluginError::failed("the host gave an empty image"));
        }
        if self.row_bytes.unsigned_abs() < row {
            return Err(PluginError::failed(format!(
                "the host's image rows are {} bytes, shorter than {row} bytes of pixels",
                self.row_bytes
            )));
        }
        Ok(())
    }

    pub fn width(&self) -> usize {
        x_range(&self.bounds)
    }

    pub fn height(&self) -> usize {
        y_range(&self.bounds)
    }

    fn pixel_bytes(&self) -> usize {
        self.depth.bytes() * self.components.count()
    }

    /// Start of the row at host `y` (bottom-up pixel coordinates).
    fn row_ptr(&self, y: c_int) -> *mut u8 {
        let offset = (y - self.bounds.y1) as isize * self.row_bytes;
        self.data.wrapping_offset(offset)
    }

    /// The whole image as a frame: top row first, values normalised to
    /// 0..1 for 8- and 16-bit images.
    pub fn to_frame(&self, index: i64) -> Frame {
        let (w, h, c) = (self.width(), self.height(), self.components.count());
        let mut data = retake_core::frame::recycled_buffer(w * h * c);
        for (r, out) in data.chunks_exact_mut(w * c).enumerate() {
            let y = self.bounds.y2 - 1 - r as c_int;
            let row = self.row_ptr(y);
            // SAFETY: `check` made sure every row holds `w * c` samples of
            // this depth at `row_ptr`, inside the host's buffer.
            unsafe {
                match self.depth {
                    Depth::Float => {
                        let s = std::slice::from_raw_parts(row as *const f32, w * c);
                        out.copy_from_slice(s);
                    }
                    Depth::Short => {
                        let s = std::slice::from_raw_parts(row as *const u16, w * c);
                        for (o, v) in out.iter_mut().zip(s) {
                            *o = *v as f32 / 65535.0;
                        }
                    }
                    Depth::Byte => {
                        let s = std::slice::from_raw_parts(row as *const u8, w * c);
                        for (o, v) in out.iter_mut().zip(s) {
                            *o = *v as f32 / 255.0;
                        }
                    }
                }
            }
        }
        Frame {
            index,
            width: w,
            height: h,
            channels: c,
            data,
        }
    }

    /// Write `frame` (placed with its top-left pixel at host column
    /// `origin_x` and its bottom row at host row `origin_y`) into the part
    /// of this image inside `window`. Pixels of the window the frame does
    /// not cover become transparent black. A one-channel frame (a mask)
    /// fills every channel; a frame without alpha writes alpha 1.
    pub fn write(&mut self, frame: &Frame, origin_x: c_int, origin_y: c_int, window: OfxRectI) {
        let win = intersect(window, self.bounds);
        let c = self.components.count();
        for y in win.y1..win.y2 {
            let row = self.row_ptr(y);
            // Frame row of host row y (frames are top-down).
            let fr = origin_y + frame.height as c_int - 1 - y;
            for x in win.x1..win.x2 {
                let fx = x - origin_x;
                let inside = fr >= 0
                    && fx >= 0
                    && (fr as usize) < frame.height
                    && (fx as usize) < frame.width;
                let px = if inside {
                    let p = frame.pixel(fx as usize, fr as usize);
                    match (p.len(), self.components) {
                        (1, Components::Alpha) => [p[0], 0.0, 0.0, 0.0],
                        (1, _) => [p[0]; 4],
                        (_, Components::Alpha) => {
                            [if p.len() == 4 { p[3] } else { luma(p) }, 0.0, 0.0, 0.0]
                        }
                        (3, _) => [p[0], p[1], p[2], 1.0],
                        _ => [p[0], p[1], p[2], p[3]],
                    }
                } else {
                    [0.0; 4]
                };
                let at = (x - self.bounds.x1) as usize * c;
                // SAFETY: (x, y) is inside the image's bounds, so the
                // sample lies inside the row `check` validated.
                unsafe {
                    match self.depth {
                        Depth::Float => {
                            let s = (row as *mut f32).add(at);
                            for (k, v) in px.iter().take(c).enumerate() {
                                *s.add(k) = *v;
                            }
                        }
                        Depth::Short => {
                            let s = (row as *mut u16).add(at);
                            for (k, v) in px.iter().take(c).enumerate() {
                                *s.add(k) = (v.clamp(0.0, 1.0) * 65535.0).round() as u16;
                            }
                        }
                        Depth::Byte => {
                            let s = row.add(at);
                            for (k, v) in px.iter().take(c).enumerate() {
                                *s.add(k) = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
                            }
                        }
                    }
                }
            }
        }
    }
}

impl Drop for Image<'_> {
    fn drop(&mut self) {
        // SAFETY: a handle clipGetImage returned and not yet released.
        let _ = unsafe { ofx_call!(self.suites.effect, clipReleaseImage(self.handle)) };
    }
}

fn x_range(r: &OfxRectI) -> usize {
    (r.x2 - r.x1).max(0) as usize
}

fn y_range(r: &OfxRectI) -> usize {
    (r.y2 - r.y1).max(0) as usize
}

/// The overlap of two pixel rectangles (empty when they do not touch).
pub fn intersect(a: OfxRectI, b: OfxRectI) -> OfxRectI {
    let x1 = a.x1.max(b.x1);
    let y1 = a.y1.max(b.y1);
    OfxRectI {
        x1,
        y1,
        x2: a.x2.min(b.x2).max(x1),
        y2: a.y2.min(b.y2).max(y1),
    }
}
