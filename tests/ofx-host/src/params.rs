//! Parameters and the parameter suite. Values animate: keys at times,
//! interpolated linearly for doubles (as hosts' default curves between two
//! linear keys) and held for integers, booleans and choices.

use std::collections::BTreeMap;
use std::ffi::{c_char, c_double, c_int, c_uint, c_void, CStr, CString};
use std::sync::Mutex;

use ofx_abi::*;

use crate::props::{PropertySet, Value};

/// The value-carrying kinds the C shim knows (see `variadic.c`).
pub const KIND_INT: c_int = 1;
pub const KIND_DOUBLE: c_int = 2;
pub const KIND_DOUBLE3: c_int = 4;
pub const KIND_STRING: c_int = 6;

/// A parameter of a descriptor or an instance.
pub struct Param {
    pub name: String,
    pub kind: String,
    pub props: Box<PropertySet>,
    state: Mutex<ParamState>,
}

#[derive(Clone, Debug, Default)]
struct ParamState {
    value: Vec<f64>,
    text: CString,
    /// Keys by time (as ordered bits of a non-negative or any f64 via total order).
    keys: BTreeMap<OrderedTime, Vec<f64>>,
}

/// A key time, ordered totally so it can key a map.
#[derive(Clone, Copy, Debug)]
struct OrderedTime(f64);
impl PartialEq for OrderedTime {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for OrderedTime {}
impl PartialOrd for OrderedTime {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OrderedTime {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl Param {
    pub fn new(name: &str, kind: &str) -> Box<Param> {
        Box::new(Param {
            name: name.to_string(),
            kind: kind.to_string(),
            props: PropertySet::new(),
            state: Mutex::new(ParamState::default()),
        })
    }

    /// Instance parameter from a descriptor's: same properties, value = default.
    pub fn instantiate(desc: &Param) -> Box<Param> {
        let p = Param::new(&desc.name, &desc.kind);
        for (k, v) in desc.props.snapshot() {
            p.props.set(&k, v);
        }
        {
            let mut st = p.lock();
            match p
                .props
                .get(std::str::from_utf8(kOfxParamPropDefault.to_bytes()).unwrap_or_default())
            {
                Some(Value::Int(v)) => st.value = v.iter().map(|x| *x as f64).collect(),
                Some(Value::Double(v)) => st.value = v,
                Some(Value::Str(v)) => st.text = v.into_iter().next().unwrap_or_default(),
                _ => st.value = vec![0.0; p.dimensions()],
            }
            let n = p.dimensions();
            st.value.resize(n, 0.0);
        }
        p
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ParamState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn handle(&self) -> OfxParamHandle {
        self as *const Param as OfxParamHandle
    }

    /// Kind code for the C shim; 0 for kinds without a value (groups).
    pub fn kind_code(&self) -> c_int {
        match self.kind.as_str() {
            "OfxParamTypeInteger" | "OfxParamTypeBoolean" | "OfxParamTypeChoice" => KIND_INT,
            "OfxParamTypeDouble" => KIND_DOUBLE,
            "OfxParamTypeRGB" => KIND_DOUBLE3,
            "OfxParamTypeString" => KIND_STRING,
            _ => 0,
        }
    }

    fn dimensions(&self) -> usize {
        if self.kind_code() == KIND_DOUBLE3 {
            3
        } else {
            1
        }
    }

    fn is_integral(&self) -> bool {
        self.kind_code() == KIND_INT
    }

    /// The value at `time` (`None`: the value ignoring animation).
    pub fn value_at(&self, time: Option<f64>) -> Vec<f64> {
        let st = self.lock();
        let Some(t) = time.filter(|_| !st.keys.is_empty()) else {
            return match st.keys.values().next() {
                Some(v) if time.is_none() => v.clone(),
                _ => st.value.clone(),
            };
        };
        let after = st.keys.range(OrderedTime(t)..).next();
        let before = st.keys.range(..=OrderedTime(t)).next_back();
        match (before, after) {
            (Some((_, v)), None) | (None, Some((_, v))) => v.clone(),
            (Some((t0, v0)), Some((t1, v1))) => {
                if t1.0 == t0.0 || self.is_integral() {
                    v0.clone()
                } else {
                    let f = (t - t0.0) / (t1.0 - t0.0);
                    v0.iter().zip(v1).map(|(a, b)| a + f * (b - a)).collect()
                }
            }
            (None, None) => st.value.clone(),
        }
    }

    pub fn set_value(&self, values: &[f64]) {
        let mut st = self.lock();
        st.value = values.to_vec();
        st.keys.clear();
    }

    pub fn set_key(&self, time: f64, values: &[f64]) {
        self.lock().keys.insert(OrderedTime(time), values.to_vec());
    }

    pub fn text(&self) -> String {
        self.lock().text.to_string_lossy().into_owned()
    }
}

/// The parameters of an effect.
#[derive(Default)]
pub struct ParamSet {
    pub props: Box<PropertySet>,
    pub params: Mutex<Vec<Box<Param>>>,
}

impl ParamSet {
    pub fn handle(&self) -> OfxParamSetHandle {
        self as *const ParamSet as OfxParamSetHandle
    }

    pub fn find(&self, name: &str) -> Option<OfxParamHandle> {
        let list = self.params.lock().unwrap_or_else(|p| p.into_inner());
        list.iter().find(|p| p.name == name).map(|p| p.handle())
    }
}

unsafe fn param_set<'a>(h: OfxParamSetHandle) -> Option<&'a ParamSet> {
    unsafe { (h as *const ParamSet).as_ref() }
}

/// # Safety
/// `h` must be a handle of a live [`Param`].
pub unsafe fn param<'a>(h: OfxParamHandle) -> Option<&'a Param> {
    unsafe { (h as *const Param).as_ref() }
}

unsafe fn text(p: *const c_char) -> Option<String> {
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

unsafe extern "C" fn param_define(
    set: OfxParamSetHandle,
    kind: *const c_char,
    name: *const c_char,
    props: *mut OfxPropertySetHandle,
) -> OfxStatus {
    let (Some(set), Some(kind), Some(name)) =
        (unsafe { param_set(set) }, unsafe { text(kind) }, unsafe {
            text(name)
        })
    else {
        return kOfxStatErrBadHandle;
    };
    let mut list = set.params.lock().unwrap_or_else(|p| p.into_inner());
    if list.iter().any(|p| p.name == name) {
        return kOfxStatErrExists;
    }
    let p = Param::new(&name, &kind);
    p.props.set_str("OfxPropType", &["OfxTypeParameter"]);
    p.props.set_str("OfxPropName", &[&name]);
    p.props.set_str("OfxParamPropType", &[&kind]);
    if !props.is_null() {
        unsafe { *props = p.props.handle() };
    }
    list.push(p);
    kOfxStatOK
}

unsafe extern "C" fn param_get_handle(
    set: OfxParamSetHandle,
    name: *const c_char,
    out: *mut OfxParamHandle,
    props: *mut OfxPropertySetHandle,
) -> OfxStatus {
    let (Some(set), Some(name)) = (unsafe { param_set(set) }, unsafe { text(name) }) else {
        return kOfxStatErrBadHandle;
    };
    let list = set.params.lock().unwrap_or_else(|p| p.into_inner());
    let Some(p) = list.iter().find(|p| p.name == name) else {
        return kOfxStatErrUnknown;
    };
    if !out.is_null() {
        unsafe { *out = p.handle() };
    }
    if !props.is_null() {
        unsafe { *props = p.props.handle() };
    }
    kOfxStatOK
}

unsafe extern "C" fn param_set_get_property_set(
    set: OfxParamSetHandle,
    out: *mut OfxPropertySetHandle,
) -> OfxStatus {
    let Some(set) = (unsafe { param_set(set) }) else {
        return kOfxStatErrBadHandle;
    };
    unsafe { *out = set.props.handle() };
    kOfxStatOK
}

unsafe extern "C" fn param_get_property_set(
    p: OfxParamHandle,
    out: *mut OfxPropertySetHandle,
) -> OfxStatus {
    let Some(p) = (unsafe { param(p) }) else {
        return kOfxStatErrBadHandle;
    };
    unsafe { *out = p.props.handle() };
    kOfxStatOK
}

unsafe extern "C" fn param_get_num_keys(p: OfxParamHandle, out: *mut c_uint) -> OfxStatus {
    let Some(p) = (unsafe { param(p) }) else {
        return kOfxStatErrBadHandle;
    };
    unsafe { *out = p.lock().keys.len() as c_uint };
    kOfxStatOK
}

unsafe extern "C" fn param_get_key_time(
    p: OfxParamHandle,
    nth: c_uint,
    out: *mut OfxTime,
) -> OfxStatus {
    let Some(p) = (unsafe { param(p) }) else {
        return kOfxStatErrBadHandle;
    };
    match p.lock().keys.keys().nth(nth as usize) {
        Some(t) => {
            unsafe { *out = t.0 };
            kOfxStatOK
        }
        None => kOfxStatErrBadIndex,
    }
}

unsafe extern "C" fn param_get_key_index(
    _p: OfxParamHandle,
    _t: OfxTime,
    _d: c_int,
    _out: *mut c_int,
) -> OfxStatus {
    kOfxStatErrUnsupported
}

unsafe extern "C" fn param_delete_key(p: OfxParamHandle, t: OfxTime) -> OfxStatus {
    let Some(p) = (unsafe { param(p) }) else {
        return kOfxStatErrBadHandle;
    };
    match p.lock().keys.remove(&OrderedTime(t)) {
        Some(_) => kOfxStatOK,
        None => kOfxStatErrBadIndex,
    }
}

unsafe extern "C" fn param_delete_all_keys(p: OfxParamHandle) -> OfxStatus {
    let Some(p) = (unsafe { param(p) }) else {
        return kOfxStatErrBadHandle;
    };
    p.lock().keys.clear();
    kOfxStatOK
}

unsafe extern "C" fn param_copy(
    _to: OfxParamHandle,
    _from: OfxParamHandle,
    _o: OfxTime,
    _r: *const OfxRangeD,
) -> OfxStatus {
    kOfxStatErrUnsupported
}

unsafe extern "C" fn param_edit_begin(_s: OfxParamSetHandle, _n: *const c_char) -> OfxStatus {
    kOfxStatOK
}

unsafe extern "C" fn param_edit_end(_s: OfxParamSetHandle) -> OfxStatus {
    kOfxStatOK
}

// Called by the C shim with the variable arguments made fixed.

/// # Safety
/// `p` is a parameter handle of this host (or garbage, answered with -1 only
/// if it is null).
pub(crate) unsafe extern "C" fn kind_callback(p: *mut c_void) -> c_int {
    unsafe { param(p as OfxParamHandle) }.map_or(-1, |p| p.kind_code())
}

/// # Safety
/// Called by the C shim with a parameter handle and `n` out-pointers of the
/// parameter's type.
pub(crate) unsafe extern "C" fn get_callback(
    p: *mut c_void,
    time: f64,
    at_time: c_int,
    out: *mut *mut c_void,
    n: c_int,
) -> OfxStatus {
    let Some(p) = (unsafe { param(p as OfxParamHandle) }) else {
        return kOfxStatErrBadHandle;
    };
    let kind = p.kind_code();
    if kind == KIND_STRING {
        // The string lives in the parameter until it is set again.
        let ptr = p.lock().text.as_ptr();
        unsafe { *(*out as *mut *const c_char) = ptr };
        return kOfxStatOK;
    }
    let v = p.value_at((at_time != 0).then_some(time));
    for (i, value) in v.iter().enumerate().take(n.max(0) as usize) {
        let slot = unsafe { *out.add(i) };
        if slot.is_null() {
            return kOfxStatErrBadHandle;
        }
        if kind == KIND_INT {
            unsafe { *(slot as *mut c_int) = value.round() as c_int };
        } else {
            unsafe { *(slot as *mut c_double) = *value };
        }
    }
    kOfxStatOK
}

/// # Safety
/// Called by the C shim with a parameter handle and `n` values.
pub(crate) unsafe extern "C" fn set_callback(
    p: *mut c_void,
    time: f64,
    at_time: c_int,
    values: *const f64,
    n: c_int,
    text_value: *const c_char,
) -> OfxStatus {
    let Some(p) = (unsafe { param(p as OfxParamHandle) }) else {
        return kOfxStatErrBadHandle;
    };
    if p.kind_code() == KIND_STRING {
        let t = unsafe { text(text_value) }.unwrap_or_default();
        p.lock().text = CString::new(t).unwrap_or_default();
        return kOfxStatOK;
    }
    let v: Vec<f64> = (0..n.max(0) as usize)
        .map(|i| unsafe { *values.add(i) })
        .collect();
    if at_time != 0 {
        p.set_key(time, &v);
    } else {
        p.set_value(&v);
    }
    kOfxStatOK
}

extern "C" {
    fn retake_host_param_get_value(p: OfxParamHandle, ...) -> OfxStatus;
    fn retake_host_param_get_value_at_time(p: OfxParamHandle, t: OfxTime, ...) -> OfxStatus;
    fn retake_host_param_get_derivative(p: OfxParamHandle, t: OfxTime, ...) -> OfxStatus;
    fn retake_host_param_get_integral(
        p: OfxParamHandle,
        t1: OfxTime,
        t2: OfxTime,
        ...
    ) -> OfxStatus;
    fn retake_host_param_set_value(p: OfxParamHandle, ...) -> OfxStatus;
    fn retake_host_param_set_value_at_time(p: OfxParamHandle, t: OfxTime, ...) -> OfxStatus;
}

/// The parameter suite, version 1.
pub static PARAMETER_SUITE: OfxParameterSuiteV1 = OfxParameterSuiteV1 {
    paramDefine: Some(param_define),
    paramGetHandle: Some(param_get_handle),
    paramSetGetPropertySet: Some(param_set_get_property_set),
    paramGetPropertySet: Some(param_get_property_set),
    paramGetValue: Some(retake_host_param_get_value),
    paramGetValueAtTime: Some(retake_host_param_get_value_at_time),
    paramGetDerivative: Some(retake_host_param_get_derivative),
    paramGetIntegral: Some(retake_host_param_get_integral),
    paramSetValue: Some(retake_host_param_set_value),
    paramSetValueAtTime: Some(retake_host_param_set_value_at_time),
    paramGetNumKeys: Some(param_get_num_keys),
    paramGetKeyTime: Some(param_get_key_time),
    paramGetKeyIndex: Some(param_get_key_index),
    paramDeleteKey: Some(param_delete_key),
    paramDeleteAllKeys: Some(param_delete_all_keys),
    paramCopy: Some(param_copy),
    paramEditBegin: Some(param_edit_begin),
    paramEditEnd: Some(param_edit_end),
};
