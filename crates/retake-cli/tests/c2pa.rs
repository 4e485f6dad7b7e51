//! Content Credentials (C2PA) end to end: outputs of every format Retake
//! writes are signed with a test identity (`retake provenance keygen`),
//! then read back both by `retake provenance verify` and by the official
//! C2PA Python bindings (`c2pa-python`, a separate build of the SDK,
//! installed by scripts/setup.sh into .deps/c2pa), which must find the
//! manifest, Retake as generator, actions and ingredients, and no
//! validation failure other than the untrusted test signer. Tampering,
//! missing sidecars, wrong sidecars, unsigned outputs and a two-run chain
//! are checked by both readers.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{clip, stderr};
use serde_json::Value;

const UNTRUSTED: &str = "signingCredential.untrusted";

/// `retake ARGS` signing with the identity in `id` (None: no identity).
fn retake_signed(args: &[&str], id: Option<&Path>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_retake"));
    c.args(args)
        .env_remove("RETAKE_SIGN_CERT")
        .env_remove("RETAKE_SIGN_KEY");
    if let Some(id) = id {
        c.env("RETAKE_SIGN_CERT", id.join("cert.pem"))
            .env("RETAKE_SIGN_KEY", id.join("key.pem"));
    }
    c.output().expect("run retake")
}

fn keygen(dir: &Path) -> PathBuf {
    let id = dir.join("id");
    let o = retake_signed(&["provenance", "keygen", id.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", stderr(&o));
    id
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The official Python reader's findings, one object per file.
fn python_reader(files: &[PathBuf]) -> Vec<Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = root.join(".deps/c2pa/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `bash scripts/setup.sh` (it installs c2pa-python)",
        python.display()
    );
    let o = Command::new(python)
        .arg(root.join("tests/c2pa_check.py"))
        .args(files)
        .output()
        .expect("run the c2pa-python check");
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn verify(file: &Path) -> Output {
    retake_signed(&["provenance", "verify", s(file)], None)
}

/// The Python reader accepts `r` as a valid Retake manifest, signed by an
/// untrusted identity and nothing worse.
fn assert_valid_retake(r: &Value, action: &str) {
    assert_eq!(r["manifest"], true, "{r}");
    assert_eq!(r["generator"], serde_json::json!(["Retake"]), "{r}");
    assert_eq!(r["failures"], serde_json::json!([UNTRUSTED]), "{r}");
    assert_eq!(r["retake"], true, "{r}");
    let actions: Vec<&str> = r["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(actions, ["c2pa.opened", action], "{r}");
    let parent = r["ingredients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["relationship"] == "parentOf")
        .unwrap_or_else(|| panic!("no parent ingredient: {r}"));
    assert!(parent["title"].as_str().is_some(), "{r}");
}

/// Flip one byte of picture data: inside a PNG's first IDAT chunk (CRC
/// fixed, so the file still parses), a movie's mdat box, or near an EXR's end.
fn tamper(path: &Path) {
    let mut b = std::fs::read(path).unwrap();
    let find = |tag: &[u8]| b.windows(4).position(|w| w == tag).unwrap();
    match path.extension().unwrap().to_str().unwrap() {
        "png" => {
            let at = find(b"IDAT");
            let len = u32::from_be_bytes(b[at - 4..at].try_into().unwrap()) as usize;
            b[at + 4 + len / 2] ^= 0x01;
            let crc = crc32(&b[at..at + 4 + len]);
            b[at + 4 + len..at + 8 + len].copy_from_slice(&crc.to_be_bytes());
        }
        "mov" | "mp4" => {
            let at = find(b"mdat");
            b[at + 64] ^= 0x01;
        }
        _ => {
            let at = b.len() - 16;
            b[at] ^= 0x01;
        }
    }
    std::fs::write(path, b).unwrap();
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in data {
        crc ^= byte as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn every_output_format_is_signed_and_the_official_reader_validates_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = keygen(d);
    let shot = clip(d, 3);
    // A learned model made the matte's pixels.
    let matte = d.join("matte.mov");
    let o = retake_signed(&["mask", s(&shot), "-o", s(&matte), "-q"], Some(&id));
    assert!(o.status.success(), "{}", stderr(&o));
    let mut files = vec![matte.clone()];
    // Every other container and image format, through convert.
    for out in ["c.mp4", "c.mkv", "c.####.png", "c.####.tif", "c.####.exr"] {
        let o = retake_signed(
            &["convert", s(&shot), "-o", s(&d.join(out)), "-q"],
            Some(&id),
        );
        assert!(o.status.success(), "{out}: {}", stderr(&o));
    }
    let one = d.join("one.exr");
    let o = retake_signed(
        &["convert", s(&shot), "-o", s(&one), "--frames", "1", "-q"],
        Some(&id),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    files.extend(["c.mp4", "c.mkv", "one.exr"].map(|n| d.join(n)));
    for f in 0..3 {
        for ext in ["png", "tif", "exr"] {
            files.push(d.join(format!("c.{f:04}.{ext}")));
        }
    }
    // Sidecars where the SDK cannot embed: EXR and Matroska.
    for side in ["c.mkv", "one.exr", "c.0000.exr", "c.0002.exr"] {
        assert!(d.join(side).with_extension("c2pa").is_file(), "{side}");
    }

    let found = python_reader(&files);
    assert_eq!(found.len(), files.len());
    assert_valid_retake(&found[0], "c2pa.edited");
    assert_eq!(
        found[0]["ingredients"][0]["title"], "shot.mkv",
        "{}",
        found[0]
    );
    assert_eq!(
        found[0]["digital_source_types"],
        serde_json::json!([
            "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
        ])
    );
    assert!(
        found[0]["ingredients"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["title"] == "u2netp" && i["relationship"] == "inputTo"),
        "{}",
        found[0]
    );
    for r in &found[1..] {
        assert_valid_retake(r, "c2pa.transcoded");
    }
    for r in &found {
        let sidecar = r["file"].as_str().unwrap().ends_with(".exr")
            || r["file"].as_str().unwrap().ends_with(".mkv");
        assert_eq!(
            r["carrier"],
            if sidecar { "sidecar" } else { "embedded" },
            "{r}"
        );
    }

    // Retake's own reader agrees, file by file and for a whole sequence.
    for f in files
        .iter()
        .chain([&d.join("c.####.exr"), &d.join("c.####.png")])
    {
        let o = verify(f);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}: {}",
            f.display(),
            String::from_utf8_lossy(&o.stdout)
        );
    }
    let o = retake_signed(&["provenance", "show", s(&matte)], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    for want in [
        "generator: Retake",
        "c2pa.edited: retake mask",
        "compositeWithTrainedAlgorithmicMedia",
        "inputTo u2netp",
        "parentOf shot.mkv",
        "validation: valid",
    ] {
        assert!(text.contains(want), "{want} missing from:\n{text}");
    }

    // Signing leaves the picture data alone: an EXR frame signed (sidecar)
    // is byte for byte the unsigned render.
    let plain = d.join("plain.####.exr");
    let o = retake_signed(&["convert", s(&shot), "-o", s(&plain), "-q"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(d.join("plain.0001.exr")).unwrap(),
        std::fs::read(d.join("c.0001.exr")).unwrap()
    );

    // Tampering: one changed byte of picture data fails both readers.
    let tampered = ["c.0001.png", "c.mp4", "c.0001.exr", "c.mkv"].map(|n| d.join(n));
    for f in &tampered {
        tamper(f);
        let o = verify(f);
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(7), "{}: {out}", f.display());
        assert!(
            out.contains("content hash does not match") && out.contains(s(f)),
            "{out}"
        );
    }
    for r in python_reader(&tampered) {
        let failures = r["failures"].as_array().unwrap();
        assert!(
            failures
                .iter()
                .any(|c| c.as_str().unwrap().ends_with(".mismatch")),
            "{r}"
        );
    }
    // The untouched neighbour frame still verifies alone.
    assert_eq!(verify(&d.join("c.0002.exr")).status.code(), Some(0));
}

#[test]
fn missing_or_wrong_sidecars_and_unsigned_outputs_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = keygen(d);
    let shot = clip(d, 2);
    let out = d.join("c.####.exr");
    let o = retake_signed(&["convert", s(&shot), "-o", s(&out), "-q"], Some(&id));
    assert!(o.status.success(), "{}", stderr(&o));

    // Another frame's sidecar: the content hash names the mismatch.
    std::fs::copy(d.join("c.0001.c2pa"), d.join("c.0000.c2pa")).unwrap();
    let o = verify(&d.join("c.0000.exr"));
    assert_eq!(
        o.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let r = &python_reader(&[d.join("c.0000.exr")])[0];
    assert!(
        r["failures"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "assertion.dataHash.mismatch"),
        "{r}"
    );

    // A missing sidecar: no Content Credentials, the sidecar named.
    std::fs::remove_file(d.join("c.0000.c2pa")).unwrap();
    let o = verify(&out);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(6), "{text}");
    assert!(
        text.contains("c.0000.c2pa") && text.contains("missing"),
        "{text}"
    );

    // Unsigned: one warning, the JSON sidecar, no manifest.
    let plain = d.join("plain.png");
    let o = retake_signed(
        &["convert", s(&shot), "-o", s(&plain), "--frames", "0"],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stderr(&o).matches("no signing identity").count(),
        1,
        "{}",
        stderr(&o)
    );
    assert!(d.join("plain.png.retake.json").is_file());
    let o = verify(&plain);
    assert_eq!(
        o.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert_eq!(python_reader(&[plain])[0]["manifest"], false);

    // Not there at all: bad input, exit 3, the file named.
    let o = verify(&d.join("absent.mov"));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("absent.mov"), "{}", stderr(&o));
}

#[test]
fn a_retake_output_fed_back_in_becomes_the_parent_ingredient() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = keygen(d);
    let shot = clip(d, 2);
    let first = d.join("first.mov");
    let second = d.join("second.mov");
    for (from, to) in [(&shot, &first), (&first, &second)] {
        let o = retake_signed(&["convert", s(from), "-o", s(to), "-q"], Some(&id));
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let r = &python_reader(std::slice::from_ref(&first))[0];
    assert_eq!(r["ingredients"][0]["title"], "shot.mkv", "{r}");
    let r = &python_reader(std::slice::from_ref(&second))[0];
    assert_valid_retake(r, "c2pa.transcoded");
    let parent = &r["ingredients"][0];
    assert_eq!(parent["title"], "first.mov", "{r}");
    assert_eq!(parent["has_manifest"], true, "{r}");
    let o = retake_signed(&["provenance", "show", s(&second)], None);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("carries its own Content Credentials"),
        "{text}"
    );
    assert_eq!(verify(&second).status.code(), Some(0));

    // A job file names the identity in [io], relative to the job file.
    let job = d.join("job.toml");
    std::fs::write(
        &job,
        "operation = \"convert\"\n[io]\ninput = \"shot.mkv\"\noutput = \"job.mov\"\n\
         sign-cert = \"id/cert.pem\"\nsign-key = \"id/key.pem\"\n",
    )
    .unwrap();
    let o = retake_signed(&["run", s(&job), "-q"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(verify(&d.join("job.mov")).status.code(), Some(0));
}

#[test]
fn a_refused_identity_stops_before_rendering_and_a_failed_signing_keeps_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = keygen(d);
    let shot = clip(d, 2);
    // The self-signed test CA as signer: refused up front, nothing written.
    let out = d.join("a.mov");
    let o = Command::new(env!("CARGO_BIN_EXE_retake"))
        .args(["convert", s(&shot), "-o", s(&out)])
        .env("RETAKE_SIGN_CERT", id.join("ca.pem"))
        .env("RETAKE_SIGN_KEY", id.join("key.pem"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("ca.pem"), "{}", stderr(&o));
    assert!(!out.exists());
    // Half an identity is refused too.
    let o = Command::new(env!("CARGO_BIN_EXE_retake"))
        .args(["convert", s(&shot), "-o", s(&out)])
        .env("RETAKE_SIGN_CERT", id.join("cert.pem"))
        .env_remove("RETAKE_SIGN_KEY")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    // A folder where a sidecar must go: signing fails after the render,
    // exit 4 naming it; the frames are kept, unsigned and whole.
    std::fs::create_dir(d.join("c.0001.c2pa")).unwrap();
    let o = retake_signed(
        &["convert", s(&shot), "-o", s(&d.join("c.####.exr")), "-q"],
        Some(&id),
    );
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("c.0001.c2pa"), "{}", stderr(&o));
    let plain = d.join("p.####.exr");
    let o = retake_signed(&["convert", s(&shot), "-o", s(&plain), "-q"], None);
    assert!(o.status.success());
    for f in 0..2 {
        assert_eq!(
            std::fs::read(d.join(format!("c.{f:04}.exr"))).unwrap(),
            std::fs::read(d.join(format!("p.{f:04}.exr"))).unwrap()
        );
    }
    let partial: Vec<String> = common::listing(d)
        .into_iter()
        .filter(|n| n.contains("retake-partial"))
        .collect();
    assert!(partial.is_empty(), "{partial:?}");
}
