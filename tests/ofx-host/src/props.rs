//! Property sets and the property suite: named, typed, multi-dimensional
//! values. Strict like a real host: a property read with the wrong type or
//! an index past its end is an error status, not a guess.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{c_char, c_double, c_int, c_void, CStr, CString};
use std::sync::Mutex;

use ofx_abi::*;

/// One property's values.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Int(Vec<i32>),
    Double(Vec<f64>),
    Str(Vec<CString>),
    Pointer(Vec<usize>),
}

/// A property set; its address is the handle the plugin sees.
#[derive(Default, Debug)]
pub struct PropertySet {
    values: Mutex<BTreeMap<String, Value>>,
}

impl PropertySet {
    pub fn new() -> Box<PropertySet> {
        Box::default()
    }

    /// The handle to give the plugin. Valid while `self` is alive and not moved.
    pub fn handle(&self) -> OfxPropertySetHandle {
        self as *const PropertySet as OfxPropertySetHandle
    }

    pub fn set(&self, name: &str, value: Value) {
        self.lock().insert(name.to_string(), value);
    }

    pub fn get(&self, name: &str) -> Option<Value> {
        self.lock().get(name).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Value>> {
        self.values.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_int(&self, name: &str, v: &[i32]) {
        self.set(name, Value::Int(v.to_vec()));
    }

    pub fn set_double(&self, name: &str, v: &[f64]) {
        self.set(name, Value::Double(v.to_vec()));
    }

    pub fn set_str(&self, name: &str, v: &[&str]) {
        self.set(
            name,
            Value::Str(
                v.iter()
                    .map(|s| CString::new(*s).unwrap_or_default())
                    .collect(),
            ),
        );
    }

    pub fn set_pointer(&self, name: &str, v: *mut c_void) {
        self.set(name, Value::Pointer(vec![v as usize]));
    }

    pub fn int(&self, name: &str) -> Option<i32> {
        match self.get(name)? {
            Value::Int(v) => v.first().copied(),
            _ => None,
        }
    }

    pub fn ints(&self, name: &str) -> Option<Vec<i32>> {
        match self.get(name)? {
            Value::Int(v) => Some(v),
            _ => None,
        }
    }

    pub fn doubles(&self, name: &str) -> Option<Vec<f64>> {
        match self.get(name)? {
            Value::Double(v) => Some(v),
            _ => None,
        }
    }

    pub fn strings(&self, name: &str) -> Option<Vec<String>> {
        match self.get(name)? {
            Value::Str(v) => Some(v.iter().map(|s| s.to_string_lossy().into_owned()).collect()),
            _ => None,
        }
    }

    pub fn string(&self, name: &str) -> Option<String> {
        self.strings(name)?.into_iter().next()
    }

    pub fn pointer(&self, name: &str) -> Option<usize> {
        match self.get(name)? {
            Value::Pointer(v) => v.first().copied(),
            _ => None,
        }
    }

    /// Every property, for copying a descriptor's into an instance.
    pub fn snapshot(&self) -> BTreeMap<String, Value> {
        self.lock().clone()
    }
}

/// # Safety
/// `h` must be a handle made by [`PropertySet::handle`] of a live set.
unsafe fn set_of<'a>(h: OfxPropertySetHandle) -> Option<&'a PropertySet> {
    unsafe { (h as *const PropertySet).as_ref() }
}

unsafe fn name_of(p: *const c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// Every property name the plugin has read or written through the suite
/// in this process, so tests can check each against the official headers.
static NAMES_USED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

fn note_name(name: &str) {
    NAMES_USED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(name.to_string());
}

/// Property names this host refuses to set (status 3), as hosts that do
/// not know a property do.
static REFUSED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// Refuse every later attempt to set property `name`.
pub fn refuse(name: &str) {
    REFUSED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(name.to_string());
}

/// The property names the plugin used so far (see [`NAMES_USED`]).
pub fn names_used() -> BTreeSet<String> {
    NAMES_USED.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Write `value` at `index` of a property of the same type (created or
/// re-typed as needed, padded with defaults).
fn store(set: &PropertySet, name: &str, index: c_int, value: Value) -> OfxStatus {
    note_name(name);
    if REFUSED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains(name)
    {
        return kOfxStatErrUnknown;
    }
    if index < 0 {
        return kOfxStatErrBadIndex;
    }
    let i = index as usize;
    let mut map = set.lock();
    let entry = map.entry(name.to_string()).or_insert_with(|| match &value {
        Value::Int(_) => Value::Int(Vec::new()),
        Value::Double(_) => Value::Double(Vec::new()),
        Value::Str(_) => Value::Str(Vec::new()),
        Value::Pointer(_) => Value::Pointer(Vec::new()),
    });
    macro_rules! put {
        ($vec:expr, $new:expr, $default:expr) => {{
            if $vec.len() <= i {
                $vec.resize(i + 1, $default);
            }
            $vec[i] = $new;
        }};
    }
    match (entry, value) {
        (Value::Int(v), Value::Int(n)) => put!(v, n[0], 0),
        (Value::Double(v), Value::Double(n)) => put!(v, n[0], 0.0),
        (Value::Str(v), Value::Str(mut n)) => put!(v, n.remove(0), CString::default()),
        (Value::Pointer(v), Value::Pointer(n)) => put!(v, n[0], 0),
        (slot, value) => {
            // A set with another type replaces the property (hosts differ;
            // the plugin never relies on this).
            let mut fresh = match value {
                Value::Int(_) => Value::Int(Vec::new()),
                Value::Double(_) => Value::Double(Vec::new()),
                Value::Str(_) => Value::Str(Vec::new()),
                Value::Pointer(_) => Value::Pointer(Vec::new()),
            };
            std::mem::swap(slot, &mut fresh);
            drop(map);
            return store(set, name, index, value);
        }
    }
    kOfxStatOK
}

unsafe extern "C" fn prop_set_pointer(
    h: OfxPropertySetHandle,
    n: *const c_char,
    i: c_int,
    v: *mut c_void,
) -> OfxStatus {
    let (Some(s), Some(n)) = (unsafe { set_of(h) }, unsafe { name_of(n) }) else {
        return kOfxStatErrBadHandle;
    };
    store(s, &n, i, Value::Pointer(vec![v as usize]))
}

unsafe extern "C" fn prop_set_string(
    h: OfxPropertySetHandle,
    n: *const c_char,
    i: c_int,
    v: *const c_char,
) -> OfxStatus {
    let (Some(s), Some(n)) = (unsafe { set_of(h) }, unsafe { name_of(n) }) else {
        return kOfxStatErrBadHandle;
    };
    let Some(v) = (unsafe { name_of(v) }) else {
        return kOfxStatErrValue;
    };
    store(
        s,
        &n,
        i,
        Value::Str(vec![CString::new(v).unwrap_or_default()]),
    )
}

unsafe extern "C" fn prop_set_double(
    h: OfxPropertySetHandle,
    n: *const c_char,
    i: c_int,
    v: c_double,
) -> OfxStatus {
    let (Some(s), Some(n)) = (unsafe { set_of(h) }, unsafe { name_of(n) }) else {
        return kOfxStatErrBadHandle;
    };
    store(s, &n, i, Value::Double(vec![v]))
}

unsafe extern "C" fn prop_set_int(
    h: OfxPropertySetHandle,
    n: *const c_char,
    i: c_int,
    v: c_int,
) -> OfxStatus {
    let (Some(s), Some(n)) = (unsafe { set_of(h) }, unsafe { name_of(n) }) else {
        return kOfxStatErrBadHandle;
    };
    store(s, &n, i, Value::Int(vec![v]))
}

unsafe extern "C" fn prop_set_pointer_n(
    h: OfxPropertySetHandle,
    n: *const c_char,
    count: c_int,
    v: *const *mut c_void,
) -> OfxStatus {
    for i in 0..count.max(0) {
        let st = unsafe { prop_set_pointer(h, n, i, *v.add(i as usize)) };
        if st != kOfxStatOK {
            return st;
        }
    }
    kOfxStatOK
}

unsafe extern "C" fn prop_set_string_n(
    h: OfxPropertySetHandle,
    n: *const c_char,
    count: c_int,
    v: *const *const c_char,
) -> OfxStatus {
    for i in 0..count.max(0) {
        let st = unsafe { prop_set_string(h, n, i, *v.add(i as usize)) };
        if st != kOfxStatOK {
            return st;
        }
    }
    kOfxStatOK
}

unsafe extern "C" fn prop_set_double_n(
    h: OfxPropertySetHandle,
    n: *const c_char,
    count: c_int,
    v: *const c_double,
) -> OfxStatus {
    for i in 0..count.max(0) {
        let st = unsafe { prop_set_double(h, n, i, *v.add(i as usize)) };
        if st != kOfxStatOK {
            return st;
        }
    }
    kOfxStatOK
}

unsafe extern "C" fn prop_set_int_n(
    h: OfxPropertySetHandle,
    n: *const c_char,
    count: c_int,
    v: *const c_int,
) -> OfxStatus {
    for i in 0..count.max(0) {
        let st = unsafe { prop_set_int(h, n, i, *v.add(i as usize)) };
        if st != kOfxStatOK {
            return st;
        }
    }
    kOfxStatOK
}

/// Read one value of a property of the expected type.
fn fetch<T>(
    h: OfxPropertySetHandle,
    n: *const c_char,
    i: c_int,
    read: impl FnOnce(&Value, usize) -> Option<T>,
) -> Result<T, OfxStatus> {
    let (Some(s), Some(n)) = (unsafe { set_of(h) }, unsafe { name_of(n) }) else {
        return Err(kOfxStatErrBadHandle);
    };
    note_name(&n);
    let map = s.lock();
    let Some(v) = map.get(&n) else {
        return Err(kOfxStatErrUnknown);
    };
    if i < 0 {
        return Err(kOfxStatErrBadIndex);
    }
    let len = match v {
        Value::Int(x) => x.len(),
        Value::Double(x) => x.len(),
        Value::Str(x) => x.len(),
        Value::Pointer(x) => x.len(),
    };
    if i as usize >= len {
        return Err(kOfxStatErrBadIndex);
    }
    read(v, i as usize).ok_or(kOfxStatErrValue)
}

/// [`fetch`] one value and store it through the plugin's `out` pointer:
/// every single-value getter of the suite.
unsafe fn get_one<T>(
    h: OfxPropertySetHandle,
    n: *const c_char,
    i: c_int,
    out: *mut T,
    read: impl FnOnce(&Value, usize) -> Option<T>,
) -> OfxStatus {
    match fetch(h, n, i, read) {
        Ok(p) => {
            // SAFETY: the plugin passes a valid pointer for one value.
            unsafe { *out = p };
            kOfxStatOK
        }
        Err(e) => e,
    }
}

unsafe extern "C" fn prop_get_pointer(
    h: OfxPropertySetHandle,
    n: *const c_char,
    i: c_int,
    out: *mut *mut c_void,
) -> OfxStatus {
    unsafe {
        get_one(h, n, i, out, |v, i| match v {
            Value::Pointer(x) => Some(x[i] as *mut c_void),
            _ => None,
        })
    }
}

unsafe extern "C" fn prop_get_string(
    h: OfxPropertySetHandle,
    n: *const c_char,
    i: c_int,
    out: *mut *mut c_char,
) -> OfxStatus {
    // The pointer stays valid until the property is set again, as the
    // standard allows.
    unsafe {
        get_one(h, n, i, out, |v, i| match v {
            Value::Str(x) => Some(x[i].as_ptr() as *mut c_char),
            _ => None,
        })
    }
}

unsafe extern "C" fn prop_get_double(
    h: OfxPropertySetHandle,
    n: *const c_char,
    i: c_int,
    out: *mut c_double,
) -> OfxStatus {
    unsafe {
        get_one(h, n, i, out, |v, i| match v {
            Value::Double(x) => Some(x[i]),
            _ => None,
        })
    }
}

unsafe extern "C" fn prop_get_int(
    h: OfxPropertySetHandle,
    n: *const c_char,
    i: c_int,
    out: *mut c_int,
) -> OfxStatus {
    unsafe {
        get_one(h, n, i, out, |v, i| match v {
            Value::Int(x) => Some(x[i]),
            _ => None,
        })
    }
}

unsafe extern "C" fn prop_get_pointer_n(
    h: OfxPropertySetHandle,
    n: *const c_char,
    count: c_int,
    out: *mut *mut c_void,
) -> OfxStatus {
    for i in 0..count.max(0) {
        let st = unsafe { prop_get_pointer(h, n, i, out.add(i as usize)) };
        if st != kOfxStatOK {
            return st;
        }
    }
    kOfxStatOK
}

unsafe extern "C" fn prop_get_string_n(
    h: OfxPropertySetHandle,
    n: *const c_char,
    count: c_int,
    out: *mut *mut c_char,
) -> OfxStatus {
    for i in 0..count.max(0) {
        let st = unsafe { prop_get_string(h, n, i, out.add(i as usize)) };
        if st != kOfxStatOK {
            return st;
        }
    }
    kOfxStatOK
}

unsafe extern "C" fn prop_get_double_n(
    h: OfxPropertySetHandle,
    n: *const c_char,
    count: c_int,
    out: *mut c_double,
) -> OfxStatus {
    for i in 0..count.max(0) {
        let st = unsafe { prop_get_double(h, n, i, out.add(i as usize)) };
        if st != kOfxStatOK {
            return st;
        }
    }
    kOfxStatOK
}

unsafe extern "C" fn prop_get_int_n(
    h: OfxPropertySetHandle,
    n: *const c_char,
    count: c_int,
    out: *mut c_int,
) -> OfxStatus {
    for i in 0..count.max(0) {
        let st = unsafe { prop_get_int(h, n, i, out.add(i as usize)) };
        if st != kOfxStatOK {
            return st;
        }
    }
    kOfxStatOK
}

unsafe extern "C" fn prop_reset(h: OfxPropertySetHandle, n: *const c_char) -> OfxStatus {
    let (Some(s), Some(n)) = (unsafe { set_of(h) }, unsafe { name_of(n) }) else {
        return kOfxStatErrBadHandle;
    };
    match s.lock().remove(&n) {
        Some(_) => kOfxStatOK,
        None => kOfxStatErrUnknown,
    }
}

unsafe extern "C" fn prop_get_dimension(
    h: OfxPropertySetHandle,
    n: *const c_char,
    out: *mut c_int,
) -> OfxStatus {
    let (Some(s), Some(n)) = (unsafe { set_of(h) }, unsafe { name_of(n) }) else {
        return kOfxStatErrBadHandle;
    };
    let len = match s.lock().get(&n) {
        Some(Value::Int(x)) => x.len(),
        Some(Value::Double(x)) => x.len(),
        Some(Value::Str(x)) => x.len(),
        Some(Value::Pointer(x)) => x.len(),
        None => return kOfxStatErrUnknown,
    };
    unsafe { *out = len as c_int };
    kOfxStatOK
}

/// The property suite, version 1.
pub static PROPERTY_SUITE: OfxPropertySuiteV1 = OfxPropertySuiteV1 {
    propSetPointer: Some(prop_set_pointer),
    propSetString: Some(prop_set_string),
    propSetDouble: Some(prop_set_double),
    propSetInt: Some(prop_set_int),
    propSetPointerN: Some(prop_set_pointer_n),
    propSetStringN: Some(prop_set_string_n),
    propSetDoubleN: Some(prop_set_double_n),
    propSetIntN: Some(prop_set_int_n),
    propGetPointer: Some(prop_get_pointer),
    propGetString: Some(prop_get_string),
    propGetDouble: Some(prop_get_double),
    propGetInt: Some(prop_get_int),
    propGetPointerN: Some(prop_get_pointer_n),
    propGetStringN: Some(prop_get_string_n),
    propGetDoubleN: Some(prop_get_double_n),
    propGetIntN: Some(prop_get_int_n),
    propReset: Some(prop_reset),
    propGetDimension: Some(prop_get_dimension),
};
