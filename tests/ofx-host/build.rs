//! Compiles the two C parts of the test hosts:
//! - the Rust host's C-variadic entry points (parameter values and
//!   messages): stable Rust can call C-variadic functions but not define them;
//! - the second host, on the official OpenFX HostSupport library: its
//!   sources from the openfx-sys crate's tree (found by ofx-abi's build
//!   script, `DEP_OPENFX_SOURCE`), C++14 as that tree needs (it still uses
//!   `std::auto_ptr`), libexpat from the system (Debian's libexpat1-dev,
//!   installed by scripts/setup.sh), and `src/hostsupport/host.cpp`.
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src/variadic.c");
    println!("cargo:rerun-if-changed=src/hostsupport/host.cpp");
    cc::Build::new()
        .file("src/variadic.c")
        .warnings(true)
        .compile("retake_ofx_host_variadic");

    let openfx = PathBuf::from(
        std::env::var_os("DEP_OPENFX_SOURCE")
            .expect("ofx-abi's build script sets DEP_OPENFX_SOURCE"),
    );
    let support = openfx.join("HostSupport");
    // Ours first: the linker resolves its calls in the library that follows.
    cc::Build::new()
        .cpp(true)
        .std("c++14")
        .warnings(true)
        // The official headers use C++98 exception specifications.
        .flag("-Wno-deprecated")
        .include(openfx.join("include"))
        .include(support.join("include"))
        .flag("-include")
        .flag("cstring")
        .file("src/hostsupport/host.cpp")
        .compile("retake_hostsupport_host");
    let mut official = cc::Build::new();
    official
        .cpp(true)
        .std("c++14")
        // GCC 12 no longer includes these transitively; the 2023 tree relied on it.
        .flag("-include")
        .flag("cstring")
        .flag("-include")
        .flag("sstream")
        // The official sources are not ours to fix; their warnings are noise here.
        .warnings(false)
        .flag("-w")
        .include(openfx.join("include"))
        .include(support.join("include"));
    for name in [
        "ofxhBinary",
        "ofxhClip",
        "ofxhHost",
        "ofxhImageEffect",
        "ofxhImageEffectAPI",
        "ofxhInteract",
        "ofxhMemory",
        "ofxhParam",
        "ofxhPluginAPICache",
        "ofxhPluginCache",
        "ofxhPropertySuite",
        "ofxhUtilities",
    ] {
        official.file(support.join("src").join(format!("{name}.cpp")));
    }
    official.compile("ofx_hostsupport");

    println!("cargo:rustc-link-lib=expat");
    println!("cargo:rustc-link-lib=dl");
}
