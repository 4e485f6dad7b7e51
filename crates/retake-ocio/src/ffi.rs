//! The C shim's entries (src/shim.cpp), one to one.

use std::os::raw::{c_char, c_int, c_long};

#[repr(C)]
pub struct RtkOcioConfig {
    _private: [u8; 0],
}

#[repr(C)]
pub struct RtkOcioProcessor {
    _private: [u8; 0],
}

/// What `rtk_ocio_count` and `rtk_ocio_name` list.
pub const ACTIVE_SPACES: c_int = 0;
pub const ALL_SPACES: c_int = 1;
pub const ROLES: c_int = 2;
pub const DISPLAYS: c_int = 3;

extern "C" {
    pub fn rtk_ocio_version() -> *const c_char;
    pub fn rtk_ocio_set_logger(log: extern "C" fn(*const c_char));
    pub fn rtk_ocio_config_open(
        path: *const c_char,
        out: *mut *mut RtkOcioConfig,
        err: *mut c_char,
        len: usize,
    ) -> c_int;
    pub fn rtk_ocio_config_free(c: *mut RtkOcioConfig);
    pub fn rtk_ocio_count(c: *const RtkOcioConfig, list: c_int) -> c_int;
    pub fn rtk_ocio_name(c: *const RtkOcioConfig, list: c_int, index: c_int) -> *const c_char;
    pub fn rtk_ocio_view_count(c: *const RtkOcioConfig, display: *const c_char) -> c_int;
    pub fn rtk_ocio_view_name(
        c: *const RtkOcioConfig,
        display: *const c_char,
        index: c_int,
    ) -> *const c_char;
    pub fn rtk_ocio_default_view(c: *const RtkOcioConfig, display: *const c_char) -> *const c_char;
    pub fn rtk_ocio_space_of(c: *const RtkOcioConfig, name: *const c_char) -> *const c_char;
    pub fn rtk_ocio_processor_spaces(
        c: *const RtkOcioConfig,
        src: *const c_char,
        dst: *const c_char,
        out: *mut *mut RtkOcioProcessor,
        err: *mut c_char,
        len: usize,
    ) -> c_int;
    pub fn rtk_ocio_processor_display(
        c: *const RtkOcioConfig,
        src: *const c_char,
        display: *const c_char,
        view: *const c_char,
        inverse: c_int,
        out: *mut *mut RtkOcioProcessor,
        err: *mut c_char,
        len: usize,
    ) -> c_int;
    pub fn rtk_ocio_processor_is_noop(p: *const RtkOcioProcessor) -> c_int;
    pub fn rtk_ocio_apply(
        p: *const RtkOcioProcessor,
        data: *mut f32,
        pixels: c_long,
        channels: c_int,
        err: *mut c_char,
        len: usize,
    ) -> c_int;
    pub fn rtk_ocio_processor_free(p: *mut RtkOcioProcessor);
}
