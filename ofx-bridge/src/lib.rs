//! Retake's OpenFX plugin: Retake Mask, Retake Remove, Retake Relight and
//! Retake Reangle inside Nuke, Resolve, Natron and other hosts.
//!
//! A thin adapter over the operation crates: each effect maps the host's
//! parameters onto the same parameter struct the CLI and job files use,
//! builds core's temporal window from the host's frames and calls the
//! operation's own `analyse`/`render`. There is no second implementation
//! of any operation here, only packaging and parameter mapping.
//!
//! Adding an effect takes one module implementing
//! [`effect::Effect`] and one line in [`PLUGINS`].

mod effect;
mod host;
mod image;
mod mask;
mod models;
mod params;
mod reangle;
mod relight;
mod remove;
mod table;

use std::ffi::{c_int, CStr};

use ofx_abi::{kOfxImageEffectPluginApi, OfxHost, OfxPlugin};

use effect::{main_entry, Effect};

const fn plugin<E: Effect>() -> OfxPlugin {
    OfxPlugin {
        pluginApi: kOfxImageEffectPluginApi.as_ptr(),
        apiVersion: 1,
        pluginIdentifier: E::ID.as_ptr(),
        pluginVersionMajor: E::VERSION.0,
        pluginVersionMinor: E::VERSION.1,
        setHost: Some(set_host),
        mainEntry: Some(main_entry::<E>),
    }
}

/// The plugins of this binary, in `OfxGetPlugin` order.
struct Plugins([OfxPlugin; 4]);

// SAFETY: the table holds pointers to static strings and functions only,
// and nobody writes to it.
unsafe impl Sync for Plugins {}

static PLUGINS: Plugins = Plugins([
    plugin::<mask::Mask>(),
    plugin::<remove::Remove>(),
    plugin::<relight::Relight>(),
    plugin::<reangle::Reangle>(),
]);

/// Identifiers of the effects, for tests and packaging.
pub fn plugin_identifiers() -> Vec<&'static CStr> {
    PLUGINS
        .0
        .iter()
        // SAFETY: identifiers are static C strings set above.
        .map(|p| unsafe { CStr::from_ptr(p.pluginIdentifier) })
        .collect()
}

unsafe extern "C" fn set_host(host: *mut OfxHost) {
    let _ = std::panic::catch_unwind(|| host::set_host(host));
}

/// How many effects this binary holds.
#[no_mangle]
pub extern "C" fn OfxGetNumberOfPlugins() -> c_int {
    PLUGINS.0.len() as c_int
}

/// The `nth` effect, or null for an index out of range.
#[no_mangle]
pub extern "C" fn OfxGetPlugin(nth: c_int) -> *mut OfxPlugin {
    std::panic::catch_unwind(
        || match usize::try_from(nth).ok().and_then(|n| PLUGINS.0.get(n)) {
            Some(p) => p as *const OfxPlugin as *mut OfxPlugin,
            None => std::ptr::null_mut(),
        },
    )
    .unwrap_or(std::ptr::null_mut())
}
