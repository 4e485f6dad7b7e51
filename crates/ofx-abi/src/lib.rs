//! The OpenFX C ABI in Rust: handles, structs, suite tables and the names
//! of properties, actions and status codes.
//!
//! Written by hand (no bindgen, no C headers in the build) so that the
//! plugin and the test host agree on one definition and the build needs no
//! OpenFX SDK. Suite tables list their functions in the order the standard
//! fixes; every function pointer is an `Option` because a host may leave an
//! entry null, and a null call must become an error, not a crash.

#![allow(clippy::upper_case_acronyms)]

pub mod names;

use std::ffi::{c_char, c_double, c_int, c_uint, c_void};

pub use names::*;

/// Result of every OpenFX call.
pub type OfxStatus = c_int;
/// Time on a clip's timeline, in frames.
pub type OfxTime = c_double;

macro_rules! opaque_handle {
    ($(#[$doc:meta])* $handle:ident, $target:ident) => {
        $(#[$doc])*
        #[repr(C)]
        pub struct $target {
            _private: [u8; 0],
        }
        $(#[$doc])*
        pub type $handle = *mut $target;
    };
}

opaque_handle!(
    /// A bag of named, typed, multi-dimensional values.
    OfxPropertySetHandle,
    OfxPropertySetStruct
);
opaque_handle!(
    /// An effect descriptor or instance.
    OfxImageEffectHandle,
    OfxImageEffectStruct
);
opaque_handle!(
    /// A clip of an effect descriptor or instance.
    OfxImageClipHandle,
    OfxImageClipStruct
);
opaque_handle!(
    /// The parameters of an effect.
    OfxParamSetHandle,
    OfxParamSetStruct
);
opaque_handle!(
    /// One parameter of an effect instance.
    OfxParamHandle,
    OfxParamStruct
);
opaque_handle!(
    /// Image memory allocated by the host.
    OfxImageMemoryHandle,
    OfxImageMemoryStruct
);
opaque_handle!(
    /// A host mutex.
    OfxMutexHandle,
    OfxMutexStruct
);

/// A rectangle in canonical (double) coordinates; `x2`/`y2` exclusive.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OfxRectD {
    pub x1: c_double,
    pub y1: c_double,
    pub x2: c_double,
    pub y2: c_double,
}

/// A rectangle in pixels; `x2`/`y2` exclusive, origin bottom left.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OfxRectI {
    pub x1: c_int,
    pub y1: c_int,
    pub x2: c_int,
    pub y2: c_int,
}

/// A closed range of doubles (frame ranges).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OfxRangeD {
    pub min: c_double,
    pub max: c_double,
}

/// What a host hands every plugin: its own description and the door to
/// its suites.
#[repr(C)]
pub struct OfxHost {
    pub host: OfxPropertySetHandle,
    pub fetch_suite: Option<
        unsafe extern "C" fn(
            host: OfxPropertySetHandle,
            suite_name: *const c_char,
            suite_version: c_int,
        ) -> *const c_void,
    >,
}

/// The one entry point a plugin exposes for every action.
pub type OfxPluginEntryPoint = unsafe extern "C" fn(
    action: *const c_char,
    handle: *const c_void,
    in_args: OfxPropertySetHandle,
    out_args: OfxPropertySetHandle,
) -> OfxStatus;

/// One plugin of a binary, as `OfxGetPlugin` returns it.
#[repr(C)]
pub struct OfxPlugin {
    pub plugin_api: *const c_char,
    pub api_version: c_int,
    pub plugin_identifier: *const c_char,
    pub plugin_version_major: c_uint,
    pub plugin_version_minor: c_uint,
    pub set_host: Option<unsafe extern "C" fn(host: *mut OfxHost)>,
    pub main_entry: Option<OfxPluginEntryPoint>,
}

/// `OfxGetNumberOfPlugins` as a binary exports it.
pub type OfxGetNumberOfPluginsFn = unsafe extern "C" fn() -> c_int;
/// `OfxGetPlugin` as a binary exports it.
pub type OfxGetPluginFn = unsafe extern "C" fn(nth: c_int) -> *mut OfxPlugin;

/// Property suite, version 1.
#[repr(C)]
pub struct OfxPropertySuiteV1 {
    pub prop_set_pointer: Option<
        unsafe extern "C" fn(OfxPropertySetHandle, *const c_char, c_int, *mut c_void) -> OfxStatus,
    >,
    pub prop_set_string: Option<
        unsafe extern "C" fn(
            OfxPropertySetHandle,
            *const c_char,
            c_int,
            *const c_char,
        ) -> OfxStatus,
    >,
    pub prop_set_double: Option<
        unsafe extern "C" fn(OfxPropertySetHandle, *const c_char, c_int, c_double) -> OfxStatus,
    >,
    pub prop_set_int: Option<
        unsafe extern "C" fn(OfxPropertySetHandle, *const c_char, c_int, c_int) -> OfxStatus,
    >,
    pub prop_set_pointer_n: Option<
        unsafe extern "C" fn(
            OfxPropertySetHandle,
            *const c_char,
            c_int,
            *const *mut c_void,
        ) -> OfxStatus,
    >,
    pub prop_set_string_n: Option<
        unsafe extern "C" fn(
            OfxPropertySetHandle,
            *const c_char,
            c_int,
            *const *const c_char,
        ) -> OfxStatus,
    >,
    pub prop_set_double_n: Option<
        unsafe extern "C" fn(
            OfxPropertySetHandle,
            *const c_char,
            c_int,
            *const c_double,
        ) -> OfxStatus,
    >,
    pub prop_set_int_n: Option<
        unsafe extern "C" fn(OfxPropertySetHandle, *const c_char, c_int, *const c_int) -> OfxStatus,
    >,
    pub prop_get_pointer: Option<
        unsafe extern "C" fn(
            OfxPropertySetHandle,
            *const c_char,
            c_int,
            *mut *mut c_void,
        ) -> OfxStatus,
    >,
    pub prop_get_string: Option<
        unsafe extern "C" fn(
            OfxPropertySetHandle,
            *const c_char,
            c_int,
            *mut *mut c_char,
        ) -> OfxStatus,
    >,
    pub prop_get_double: Option<
        unsafe extern "C" fn(
            OfxPropertySetHandle,
            *const c_char,
            c_int,
            *mut c_double,
        ) -> OfxStatus,
    >,
    pub prop_get_int: Option<
        unsafe extern "C" fn(OfxPropertySetHandle, *const c_char, c_int, *mut c_int) -> OfxStatus,
    >,
    pub prop_get_pointer_n: Option<
        unsafe extern "C" fn(
            OfxPropertySetHandle,
            *const c_char,
            c_int,
            *mut *mut c_void,
        ) -> OfxStatus,
    >,
    pub prop_get_string_n: Option<
        unsafe extern "C" fn(
            OfxPropertySetHandle,
            *const c_char,
            c_int,
            *mut *mut c_char,
        ) -> OfxStatus,
    >,
    pub prop_get_double_n: Option<
        unsafe extern "C" fn(
            OfxPropertySetHandle,
            *const c_char,
            c_int,
            *mut c_double,
        ) -> OfxStatus,
    >,
    pub prop_get_int_n: Option<
        unsafe extern "C" fn(OfxPropertySetHandle, *const c_char, c_int, *mut c_int) -> OfxStatus,
    >,
    pub prop_reset: Option<unsafe extern "C" fn(OfxPropertySetHandle, *const c_char) -> OfxStatus>,
    pub prop_get_dimension:
        Option<unsafe extern "C" fn(OfxPropertySetHandle, *const c_char, *mut c_int) -> OfxStatus>,
}

/// Image effect suite, version 1.
#[repr(C)]
pub struct OfxImageEffectSuiteV1 {
    pub get_property_set:
        Option<unsafe extern "C" fn(OfxImageEffectHandle, *mut OfxPropertySetHandle) -> OfxStatus>,
    pub get_param_set:
        Option<unsafe extern "C" fn(OfxImageEffectHandle, *mut OfxParamSetHandle) -> OfxStatus>,
    pub clip_define: Option<
        unsafe extern "C" fn(
            OfxImageEffectHandle,
            *const c_char,
            *mut OfxPropertySetHandle,
        ) -> OfxStatus,
    >,
    pub clip_get_handle: Option<
        unsafe extern "C" fn(
            OfxImageEffectHandle,
            *const c_char,
            *mut OfxImageClipHandle,
            *mut OfxPropertySetHandle,
        ) -> OfxStatus,
    >,
    pub clip_get_property_set:
        Option<unsafe extern "C" fn(OfxImageClipHandle, *mut OfxPropertySetHandle) -> OfxStatus>,
    pub clip_get_image: Option<
        unsafe extern "C" fn(
            OfxImageClipHandle,
            OfxTime,
            *const OfxRectD,
            *mut OfxPropertySetHandle,
        ) -> OfxStatus,
    >,
    pub clip_release_image: Option<unsafe extern "C" fn(OfxPropertySetHandle) -> OfxStatus>,
    pub clip_get_region_of_definition:
        Option<unsafe extern "C" fn(OfxImageClipHandle, OfxTime, *mut OfxRectD) -> OfxStatus>,
    pub abort: Option<unsafe extern "C" fn(OfxImageEffectHandle) -> c_int>,
    pub image_memory_alloc: Option<
        unsafe extern "C" fn(OfxImageEffectHandle, usize, *mut OfxImageMemoryHandle) -> OfxStatus,
    >,
    pub image_memory_free: Option<unsafe extern "C" fn(OfxImageMemoryHandle) -> OfxStatus>,
    pub image_memory_lock:
        Option<unsafe extern "C" fn(OfxImageMemoryHandle, *mut *mut c_void) -> OfxStatus>,
    pub image_memory_unlock: Option<unsafe extern "C" fn(OfxImageMemoryHandle) -> OfxStatus>,
}

/// Parameter suite, version 1. The value functions are C-variadic: the
/// values (or pointers to receive them) follow the fixed arguments, as
/// many as the parameter's type has dimensions.
#[repr(C)]
pub struct OfxParameterSuiteV1 {
    pub param_define: Option<
        unsafe extern "C" fn(
            OfxParamSetHandle,
            *const c_char,
            *const c_char,
            *mut OfxPropertySetHandle,
        ) -> OfxStatus,
    >,
    pub param_get_handle: Option<
        unsafe extern "C" fn(
            OfxParamSetHandle,
            *const c_char,
            *mut OfxParamHandle,
            *mut OfxPropertySetHandle,
        ) -> OfxStatus,
    >,
    pub param_set_get_property_set:
        Option<unsafe extern "C" fn(OfxParamSetHandle, *mut OfxPropertySetHandle) -> OfxStatus>,
    pub param_get_property_set:
        Option<unsafe extern "C" fn(OfxParamHandle, *mut OfxPropertySetHandle) -> OfxStatus>,
    pub param_get_value: Option<unsafe extern "C" fn(OfxParamHandle, ...) -> OfxStatus>,
    pub param_get_value_at_time:
        Option<unsafe extern "C" fn(OfxParamHandle, OfxTime, ...) -> OfxStatus>,
    pub param_get_derivative:
        Option<unsafe extern "C" fn(OfxParamHandle, OfxTime, ...) -> OfxStatus>,
    pub param_get_integral:
        Option<unsafe extern "C" fn(OfxParamHandle, OfxTime, OfxTime, ...) -> OfxStatus>,
    pub param_set_value: Option<unsafe extern "C" fn(OfxParamHandle, ...) -> OfxStatus>,
    pub param_set_value_at_time:
        Option<unsafe extern "C" fn(OfxParamHandle, OfxTime, ...) -> OfxStatus>,
    pub param_get_num_keys: Option<unsafe extern "C" fn(OfxParamHandle, *mut c_uint) -> OfxStatus>,
    pub param_get_key_time:
        Option<unsafe extern "C" fn(OfxParamHandle, c_uint, *mut OfxTime) -> OfxStatus>,
    pub param_get_key_index:
        Option<unsafe extern "C" fn(OfxParamHandle, OfxTime, c_int, *mut c_int) -> OfxStatus>,
    pub param_delete_key: Option<unsafe extern "C" fn(OfxParamHandle, OfxTime) -> OfxStatus>,
    pub param_delete_all_keys: Option<unsafe extern "C" fn(OfxParamHandle) -> OfxStatus>,
    pub param_copy: Option<
        unsafe extern "C" fn(
            OfxParamHandle,
            OfxParamHandle,
            OfxTime,
            *const OfxRangeD,
        ) -> OfxStatus,
    >,
    pub param_edit_begin:
        Option<unsafe extern "C" fn(OfxParamSetHandle, *const c_char) -> OfxStatus>,
    pub param_edit_end: Option<unsafe extern "C" fn(OfxParamSetHandle) -> OfxStatus>,
}

/// Memory suite, version 1.
#[repr(C)]
pub struct OfxMemorySuiteV1 {
    pub memory_alloc:
        Option<unsafe extern "C" fn(*mut c_void, usize, *mut *mut c_void) -> OfxStatus>,
    pub memory_free: Option<unsafe extern "C" fn(*mut c_void) -> OfxStatus>,
}

/// The function a host runs on each of its threads.
pub type OfxThreadFunctionV1 =
    unsafe extern "C" fn(thread_index: c_uint, thread_max: c_uint, custom_arg: *mut c_void);

/// Multi-thread suite, version 1.
#[repr(C)]
pub struct OfxMultiThreadSuiteV1 {
    pub multi_thread:
        Option<unsafe extern "C" fn(OfxThreadFunctionV1, c_uint, *mut c_void) -> OfxStatus>,
    pub multi_thread_num_cpus: Option<unsafe extern "C" fn(*mut c_uint) -> OfxStatus>,
    pub multi_thread_index: Option<unsafe extern "C" fn(*mut c_uint) -> OfxStatus>,
    pub multi_thread_is_spawned_thread: Option<unsafe extern "C" fn() -> c_int>,
    pub mutex_create: Option<unsafe extern "C" fn(*mut OfxMutexHandle, c_int) -> OfxStatus>,
    pub mutex_destroy: Option<unsafe extern "C" fn(OfxMutexHandle) -> OfxStatus>,
    pub mutex_lock: Option<unsafe extern "C" fn(OfxMutexHandle) -> OfxStatus>,
    pub mutex_unlock: Option<unsafe extern "C" fn(OfxMutexHandle) -> OfxStatus>,
    pub mutex_try_lock: Option<unsafe extern "C" fn(OfxMutexHandle) -> OfxStatus>,
}

/// Message suite, version 1: `printf`-style, variadic after the format.
#[repr(C)]
pub struct OfxMessageSuiteV1 {
    pub message: Option<
        unsafe extern "C" fn(
            *mut c_void,
            *const c_char,
            *const c_char,
            *const c_char,
            ...
        ) -> OfxStatus,
    >,
}

/// Message suite, version 2: adds messages that stay on an instance
/// until cleared (the way to say why a render failed).
#[repr(C)]
pub struct OfxMessageSuiteV2 {
    pub message: Option<
        unsafe extern "C" fn(
            *mut c_void,
            *const c_char,
            *const c_char,
            *const c_char,
            ...
        ) -> OfxStatus,
    >,
    pub set_persistent_message: Option<
        unsafe extern "C" fn(
            *mut c_void,
            *const c_char,
            *const c_char,
            *const c_char,
            ...
        ) -> OfxStatus,
    >,
    pub clear_persistent_message: Option<unsafe extern "C" fn(*mut c_void) -> OfxStatus>,
}

/// Progress suite, version 1.
#[repr(C)]
pub struct OfxProgressSuiteV1 {
    pub progress_start: Option<unsafe extern "C" fn(*mut c_void, *const c_char) -> OfxStatus>,
    pub progress_update: Option<unsafe extern "C" fn(*mut c_void, c_double) -> OfxStatus>,
    pub progress_end: Option<unsafe extern "C" fn(*mut c_void) -> OfxStatus>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::size_of;

    /// Suite tables are read by index in C; a missing or extra entry would
    /// shift every later function. Count them against the standard.
    #[test]
    fn suite_tables_have_the_standard_number_of_entries() {
        let ptr = size_of::<usize>();
        assert_eq!(size_of::<OfxPropertySuiteV1>(), 18 * ptr);
        assert_eq!(size_of::<OfxImageEffectSuiteV1>(), 13 * ptr);
        assert_eq!(size_of::<OfxParameterSuiteV1>(), 18 * ptr);
        assert_eq!(size_of::<OfxMemorySuiteV1>(), 2 * ptr);
        assert_eq!(size_of::<OfxMultiThreadSuiteV1>(), 9 * ptr);
        assert_eq!(size_of::<OfxMessageSuiteV1>(), ptr);
        assert_eq!(size_of::<OfxMessageSuiteV2>(), 3 * ptr);
        assert_eq!(size_of::<OfxProgressSuiteV1>(), 3 * ptr);
        assert_eq!(size_of::<OfxHost>(), 2 * ptr);
        assert_eq!(size_of::<OfxRectD>(), 32);
        assert_eq!(size_of::<OfxRectI>(), 16);
    }

    #[test]
    fn names_are_nul_terminated_c_strings() {
        assert_eq!(
            ACTION_RENDER.to_str().ok(),
            Some("OfxImageEffectActionRender")
        );
        assert_eq!(SUITE_PROPERTY.to_bytes(), b"OfxPropertySuite");
    }
}
