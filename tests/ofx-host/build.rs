//! Compiles the host's C-variadic entry points (parameter values and
//! messages): stable Rust can call C-variadic functions but not define them.
fn main() {
    println!("cargo:rerun-if-changed=src/variadic.c");
    cc::Build::new()
        .file("src/variadic.c")
        .warnings(true)
        .compile("retake_ofx_host_variadic");
}
