//! Parameters: defining them on a descriptor, and reading an instance's
//! values at a render time. Effects describe their parameters with these
//! helpers and map the values onto core's parameter structs; nothing here
//! knows what a parameter means.

use std::ffi::{c_double, c_int, CStr};

use ofx_abi::*;

use crate::host::{ofx_call, PResult, PluginError, Props, Suites};

/// Defines parameters on an effect descriptor.
pub struct ParamDefs<'a> {
    suites: &'a Suites,
    set: OfxParamSetHandle,
}

/// A parameter being described.
pub struct ParamDesc {
    props: Props,
}

impl<'a> ParamDefs<'a> {
    pub fn new(suites: &'a Suites, effect: OfxImageEffectHandle) -> PResult<Self> {
        let mut set: OfxParamSetHandle = std::ptr::null_mut();
        // SAFETY: a descriptor handle the host gave us and a slot.
        unsafe { ofx_call!(suites.effect, getParamSet(effect, &mut set))? };
        Ok(ParamDefs { suites, set })
    }

    fn define(&self, kind: &CStr, name: &CStr, label: &str, hint: &str) -> PResult<ParamDesc> {
        let mut h: OfxPropertySetHandle = std::ptr::null_mut();
        // SAFETY: the descriptor's parameter set, NUL-terminated names, a slot.
        unsafe {
            ofx_call!(
                self.suites.params,
                paramDefine(self.set, kind.as_ptr(), name.as_ptr(), &mut h)
            )?
        };
        let props = Props::new(self.suites, h);
        props.set_string(kOfxPropLabel, 0, label)?;
        if !hint.is_empty() {
            props.set_string(kOfxParamPropHint, 0, hint)?;
        }
        // Hosts that script parameters (Nuke, Natron) use this name.
        props.set_string(kOfxParamPropScriptName, 0, &name.to_string_lossy())?;
        Ok(ParamDesc { props })
    }

    /// A floating-point value; `animates` where keyframing makes sense.
    #[allow(clippy::too_many_arguments)]
    pub fn double(
        &self,
        name: &CStr,
        label: &str,
        hint: &str,
        default: f64,
        range: (f64, f64),
        display: (f64, f64),
        animates: bool,
    ) -> PResult<ParamDesc> {
        let d = self.define(kOfxParamTypeDouble, name, label, hint)?;
        d.props.set_double(kOfxParamPropDefault, 0, default)?;
        d.props.set_double(kOfxParamPropMin, 0, range.0)?;
        d.props.set_double(kOfxParamPropMax, 0, range.1)?;
        d.props.set_double(kOfxParamPropDisplayMin, 0, display.0)?;
        d.props.set_double(kOfxParamPropDisplayMax, 0, display.1)?;
        d.props
            .set_int(kOfxParamPropAnimates, 0, animates as c_int)?;
        Ok(d)
    }

    /// An angle in degrees (hosts may show a dial).
    #[allow(clippy::too_many_arguments)]
    pub fn angle(
        &self,
        name: &CStr,
        label: &str,
        hint: &str,
        default: f64,
        range: (f64, f64),
        display: (f64, f64),
    ) -> PResult<ParamDesc> {
        let d = self.double(name, label, hint, default, range, display, true)?;
        d.props.set_string(
            kOfxParamPropDoubleType,
            0,
            &kOfxParamDoubleTypeAngle.to_string_lossy(),
        )?;
        Ok(d)
    }

    pub fn int(
        &self,
        name: &CStr,
        label: &str,
        hint: &str,
        default: i32,
        range: (i32, i32),
        animates: bool,
    ) -> PResult<ParamDesc> {
        let d = self.define(kOfxParamTypeInteger, name, label, hint)?;
        d.props.set_int(kOfxParamPropDefault, 0, default)?;
        d.props.set_int(kOfxParamPropMin, 0, range.0)?;
        d.props.set_int(kOfxParamPropMax, 0, range.1)?;
        d.props.set_int(kOfxParamPropDisplayMin, 0, range.0)?;
        d.props.set_int(kOfxParamPropDisplayMax, 0, range.1)?;
        d.props
            .set_int(kOfxParamPropAnimates, 0, animates as c_int)?;
        Ok(d)
    }

    pub fn boolean(
        &self,
        name: &CStr,
        label: &str,
        hint: &str,
        default: bool,
    ) -> PResult<ParamDesc> {
        let d = self.define(kOfxParamTypeBoolean, name, label, hint)?;
        d.props.set_int(kOfxParamPropDefault, 0, default as c_int)?;
        d.props.set_int(kOfxParamPropAnimates, 0, 0)?;
        Ok(d)
    }

    /// A list of options; the value is the index of the chosen one.
    pub fn choice(
        &self,
        name: &CStr,
        label: &str,
        hint: &str,
        options: &[String],
        default: usize,
    ) -> PResult<ParamDesc> {
        let d = self.define(kOfxParamTypeChoice, name, label, hint)?;
        for (i, o) in options.iter().enumerate() {
            d.props
                .set_string(kOfxParamPropChoiceOption, i as c_int, o)?;
        }
        d.props.set_int(kOfxParamPropDefault, 0, default as c_int)?;
        d.props.set_int(kOfxParamPropAnimates, 0, 0)?;
        Ok(d)
    }

    pub fn rgb(
        &self,
        name: &CStr,
        label: &str,
        hint: &str,
        default: [f64; 3],
    ) -> PResult<ParamDesc> {
        let d = self.define(kOfxParamTypeRGB, name, label, hint)?;
        d.props.set_doubles(kOfxParamPropDefault, &default)?;
        d.props.set_int(kOfxParamPropAnimates, 0, 1)?;
        Ok(d)
    }
}

/// Reads an instance's parameter values.
pub struct ParamValues<'a> {
    suites: &'a Suites,
    set: OfxParamSetHandle,
}

impl<'a> ParamValues<'a> {
    pub fn new(suites: &'a Suites, effect: OfxImageEffectHandle) -> PResult<Self> {
        let mut set: OfxParamSetHandle = std::ptr::null_mut();
        // SAFETY: an instance handle the host gave us and a slot.
        unsafe { ofx_call!(suites.effect, getParamSet(effect, &mut set))? };
        Ok(ParamValues { suites, set })
    }

    /// How the host shows parameter `name`: its label, with its script name.
    fn shown(&self, name: &CStr) -> String {
        let script = name.to_string_lossy();
        match self.label(name) {
            Some(label) => format!("parameter \"{label}\" ({script})"),
            None => format!("parameter {script}"),
        }
    }

    /// The label the host shows for parameter `name`.
    pub fn label(&self, name: &CStr) -> Option<String> {
        let (_, props) = self.handle(name).ok()?;
        props
            .string(kOfxPropLabel, 0)
            .ok()
            .filter(|l| !l.is_empty())
    }

    /// A message from core in the host's words: a parameter mention
    /// (`[[dilate]]`) becomes the label the host shows ("Dilate").
    pub fn in_host_words(&self, text: &str) -> String {
        retake_core::params::render_mentions(text, |id| {
            match id.strip_prefix(retake_core::params::TOOL) {
                // Models are installed with Retake's command-line tool.
                Some(command) => Some(format!("`retake {command}` (Retake's command-line tool)")),
                None => self
                    .label(&crate::host::c_text(id))
                    .map(|label| format!("\"{label}\"")),
            }
        })
    }

    fn handle(&self, name: &CStr) -> PResult<(OfxParamHandle, Props)> {
        let mut h: OfxParamHandle = std::ptr::null_mut();
        let mut p: OfxPropertySetHandle = std::ptr::null_mut();
        // SAFETY: the instance's parameter set, a NUL-terminated name, slots.
        unsafe {
            ofx_call!(
                self.suites.params,
                paramGetHandle(self.set, name.as_ptr(), &mut h, &mut p)
            )
        }
        .map_err(|e| {
            PluginError::failed(format!(
                "parameter `{}`: {}",
                name.to_string_lossy(),
                e.message
            ))
        })?;
        Ok((h, Props::new(self.suites, p)))
    }

    pub fn double(&self, name: &CStr, time: f64) -> PResult<f64> {
        let (h, _) = self.handle(name)?;
        let mut v: c_double = 0.0;
        // SAFETY: a double parameter takes one `double *` after the time.
        unsafe {
            ofx_call!(
                self.suites.params,
                paramGetValueAtTime(h, time, &mut v as *mut c_double)
            )
            .map_err(|e| e.about(self.shown(name)))?
        };
        if !v.is_finite() {
            return Err(PluginError::failed(format!(
                "parameter `{}` is {v}, not a number",
                name.to_string_lossy()
            )));
        }
        Ok(v)
    }

    /// Integer, boolean and choice parameters all answer with an `int`.
    pub fn int(&self, name: &CStr, time: f64) -> PResult<i32> {
        let (h, _) = self.handle(name)?;
        let mut v: c_int = 0;
        // SAFETY: these types take one `int *` after the time.
        unsafe {
            ofx_call!(
                self.suites.params,
                paramGetValueAtTime(h, time, &mut v as *mut c_int)
            )
            .map_err(|e| e.about(self.shown(name)))?
        };
        Ok(v)
    }

    pub fn boolean(&self, name: &CStr, time: f64) -> PResult<bool> {
        Ok(self.int(name, time)? != 0)
    }

    /// The chosen option's text, read from the instance so that a host
    /// that cached an older description still maps index to name right.
    pub fn choice(&self, name: &CStr, time: f64) -> PResult<String> {
        let index = self.int(name, time)?;
        let (_, props) = self.handle(name)?;
        let count = props.dimension(kOfxParamPropChoiceOption)?;
        if index < 0 || index >= count {
            return Err(PluginError::failed(format!(
                "parameter `{}`: option {index} of {count}",
                name.to_string_lossy()
            )));
        }
        props.string(kOfxParamPropChoiceOption, index)
    }

    pub fn rgb(&self, name: &CStr, time: f64) -> PResult<[f64; 3]> {
        let (h, _) = self.handle(name)?;
        let mut v = [0.0 as c_double; 3];
        let [r, g, b] = &mut v;
        // SAFETY: an RGB parameter takes three `double *` after the time.
        unsafe {
            ofx_call!(
                self.suites.params,
                paramGetValueAtTime(
                    h,
                    time,
                    r as *mut c_double,
                    g as *mut c_double,
                    b as *mut c_double
                )
            )
            .map_err(|e| e.about(self.shown(name)))?
        };
        Ok(v)
    }
}
