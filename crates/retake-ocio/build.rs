//! Compiles the C shim over OpenColorIO's C++ API and links the system's
//! OpenColorIO (Debian 12: libopencolorio-dev 2.1, installed by
//! scripts/setup.sh).

fn main() {
    println!("cargo:rerun-if-changed=src/shim.cpp");
    let lib = pkg_config::Config::new()
        .atleast_version("2.1")
        .probe("OpenColorIO")
        .unwrap_or_else(|e| {
            panic!(
                "OpenColorIO 2.1 or newer was not found ({e}); \
                 run `bash scripts/setup.sh` (installs libopencolorio-dev)"
            )
        });
    let mut build = cc::Build::new();
    build.cpp(true).std("c++14").file("src/shim.cpp");
    for dir in &lib.include_paths {
        build.include(dir);
    }
    build.compile("retake_ocio_shim");
}
