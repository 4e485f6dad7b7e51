//! Generates the OpenFX ABI from the official headers: every `kOfx...`
//! name as a `&CStr`, status codes as `OfxStatus`, and the handles,
//! structs and suite tables exactly as the headers declare them. Nothing
//! is typed by hand, so a misspelt property name cannot exist.
//!
//! The headers come from the source tree of the crates.io crate
//! `openfx-sys` (official OpenFX, early 2023), found through `cargo
//! metadata` (`OPENFX_SOURCE_DIR` overrides it: the folder holding
//! `include/ofxCore.h`).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::env;
use std::path::PathBuf;
use std::process::Command;
use std::rc::Rc;

use bindgen::callbacks::{DeriveInfo, IntKind, ParseCallbacks};

fn main() {
    println!("cargo:rerun-if-env-changed=OPENFX_SOURCE_DIR");
    let openfx = openfx_source_dir();
    let include = openfx.join("include");
    // For dependents' build scripts (the HostSupport test host) as
    // DEP_OPENFX_SOURCE.
    println!("cargo:source={}", openfx.display());
    println!("cargo:rerun-if-changed={}", include.display());
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));

    let strings = Rc::new(RefCell::new(BTreeMap::new()));
    let wrapper = [
        "ofxCore.h",
        "ofxProperty.h",
        "ofxImageEffect.h",
        "ofxParam.h",
        "ofxMemory.h",
        "ofxMultiThread.h",
        "ofxMessage.h",
        "ofxProgress.h",
        "ofxPixels.h",
        "ofxTimeLine.h",
    ]
    .iter()
    .map(|h| format!("#include \"{}\"\n", include.join(h).display()))
    .collect::<String>();
    let bindings = bindgen::Builder::default()
        .header_contents("retake_ofx_wrapper.h", &wrapper)
        .clang_arg(format!("-I{}", include.display()))
        .allowlist_type("Ofx.*")
        .allowlist_var("kOfx.*")
        // String names are written below as `&CStr`; bindgen would make
        // them byte arrays.
        .parse_callbacks(Box::new(Names(strings.clone())))
        .derive_default(true)
        .generate_comments(false)
        .layout_tests(true)
        .generate()
        .unwrap_or_else(|e| panic!("bindgen on {}: {e}", include.display()));
    let mut text = bindings.to_string();
    // Drop bindgen's byte-array string constants; ours replace them.
    let names = strings.borrow();
    text = text
        .lines()
        .filter(|l| {
            let byte_string = l.starts_with("pub const kOfx") && l.contains(": &[u8;");
            let continued = l.trim_start().starts_with("b\"");
            !(byte_string || continued)
        })
        .collect::<Vec<_>>()
        .join("\n");
    text.push('\n');
    for (name, value) in names.iter() {
        text.push_str(&format!(
            "pub const {name}: &::std::ffi::CStr = c\"{}\";\n",
            value.escape_default()
        ));
    }
    // Status codes are written `((int) 1)`, a cast bindgen's macro parser
    // skips (clang's fallback needs a newer libclang than Debian 12's):
    // read them from the headers' text.
    for (name, value) in status_codes(&include) {
        if !text.contains(&format!("pub const {name}:")) {
            text.push_str(&format!("pub const {name}: OfxStatus = {value};\n"));
        }
    }
    // Every string name and its value, for tests and lookups.
    text.push_str("/// Every string name the official headers define, with its value.\n");
    text.push_str("pub const ALL_STRING_NAMES: &[(&str, &::std::ffi::CStr)] = &[\n");
    for name in names.keys() {
        text.push_str(&format!("    (\"{name}\", {name}),\n"));
    }
    text.push_str("];\n");
    std::fs::write(out.join("openfx.rs"), text).expect("write OUT_DIR/openfx.rs");
    std::fs::write(
        out.join("openfx_include_dir.txt"),
        include.display().to_string(),
    )
    .expect("write OUT_DIR/openfx_include_dir.txt");
}

/// `#define kOfxStat... ((int) N)` of every header, as (name, N).
fn status_codes(include: &std::path::Path) -> Vec<(String, i64)> {
    let mut codes = Vec::new();
    let mut headers: Vec<PathBuf> = std::fs::read_dir(include)
        .expect("read the OpenFX include folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "h"))
        .collect();
    headers.sort();
    for header in headers {
        let text = std::fs::read_to_string(&header).unwrap_or_default();
        for line in text.lines() {
            let mut words = line.split_whitespace();
            if words.next() != Some("#define") {
                continue;
            }
            let Some(name) = words.next().filter(|n| n.starts_with("kOfxStat")) else {
                continue;
            };
            let body: String = words.collect::<Vec<_>>().join("");
            let digits = body
                .trim_start_matches('(')
                .trim_start_matches("(int)")
                .trim_start_matches("int)")
                .trim_end_matches(')');
            if let Ok(v) = digits.parse::<i64>() {
                codes.push((name.to_string(), v));
            }
        }
    }
    codes
}

/// Collects string macros; makes status codes `c_int` as in the headers.
#[derive(Debug)]
struct Names(Rc<RefCell<BTreeMap<String, String>>>);

impl ParseCallbacks for Names {
    fn str_macro(&self, name: &str, value: &[u8]) {
        if name.starts_with("kOfx") {
            self.0.borrow_mut().insert(
                name.to_string(),
                String::from_utf8_lossy(value).into_owned(),
            );
        }
    }

    /// Rectangles, points and ranges are values compared in tests; suite
    /// tables (function pointers) are not comparable.
    fn add_derives(&self, info: &DeriveInfo<'_>) -> Vec<String> {
        let value = ["OfxRect", "OfxPoint", "OfxRange", "OfxRGB"]
            .iter()
            .any(|p| info.name.starts_with(p));
        if value {
            vec!["PartialEq".into()]
        } else {
            Vec::new()
        }
    }

    fn int_macro(&self, name: &str, _value: i64) -> Option<IntKind> {
        name.starts_with("kOfxStat").then_some(IntKind::Int)
    }
}

/// The official OpenFX source tree (the folder with `include/`).
fn openfx_source_dir() -> PathBuf {
    if let Some(dir) = env::var_os("OPENFX_SOURCE_DIR") {
        return PathBuf::from(dir);
    }
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(manifest.join("Cargo.toml"))
        .output()
        .expect("run cargo metadata to find the openfx-sys sources");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let meta: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let package = meta["packages"]
        .as_array()
        .and_then(|ps| {
            ps.iter()
                .find(|p| p["name"] == "openfx-sys" && p["version"] == "0.1.0")
        })
        .expect("openfx-sys 0.1.0 is a build dependency, so cargo metadata lists it");
    let manifest_path = PathBuf::from(package["manifest_path"].as_str().expect("a path"));
    let dir = manifest_path
        .parent()
        .expect("a manifest has a folder")
        .join("openfx");
    assert!(
        dir.join("include/ofxCore.h").is_file(),
        "no include/ofxCore.h under {}",
        dir.display()
    );
    dir
}
