//! `retake doctor`: what this installation can do, and why not.

use retake_core::Result;
use retake_model::{manifest, runtime, Provider};

use crate::args::GlobalArgs;
use crate::context::{library_candidates, model_dirs};

pub fn run(_global: &GlobalArgs) -> Result<i32> {
    let mut problems = 0;
    println!("retake {}", env!("CARGO_PKG_VERSION"));

    println!("\nONNX Runtime");
    match runtime::init(&library_candidates()) {
        Ok(rt) => {
            println!(
                "  version:   {} (tested with {})",
                rt.version,
                runtime::EXPECTED_ORT_VERSION
            );
            println!("  library:   {}", rt.library.display());
            for p in Provider::ALL {
                match p.check(rt) {
                    Ok(()) => println!("  {:<9}  available", p.name()),
                    Err(why) => println!("  {:<9}  unavailable: {why}", p.name()),
                }
            }
        }
        Err(e) => {
            problems += 1;
            println!("  NOT AVAILABLE: {e}");
        }
    }

    println!("\nFFmpeg");
    println!("  {}", retake_media::ffmpeg_version());
    for (name, ok) in retake_media::available_encoders() {
        println!(
            "  {:<11} {}",
            name,
            if ok {
                "available"
            } else {
                "missing from this libavcodec"
            }
        );
    }

    println!("\nModels");
    let dirs = model_dirs();
    println!(
        "  searched:  {}",
        dirs.iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let (found, errors) = manifest::discover(&dirs);
    // The model a command would open is the first found of its name, so
    // that file is checked against its manifest's sha256, as opening does.
    let mut usable_mask = false;
    for m in &found {
        let state = if m.model_path().is_file() {
            match m.verify_file() {
                Ok(()) => {
                    usable_mask |= m.role == manifest::Role::Mask;
                    "installed".to_string()
                }
                Err(e) => {
                    problems += 1;
                    format!("BROKEN: {}", crate::table_args::message(&e))
                }
            }
        } else if m.fetch.is_some() {
            "not installed (retake models fetch)".to_string()
        } else {
            "file missing".to_string()
        };
        println!("  {:<26} {:<8} {state}", m.label(), m.role.to_string());
    }
    for e in &errors {
        problems += 1;
        println!("  BAD MANIFEST: {e}");
    }
    if !usable_mask {
        problems += 1;
        println!("  no working subject (mask) model installed: run scripts/setup.sh");
    }
    println!();
    if problems == 0 {
        println!("everything needed is in place");
        Ok(0)
    } else {
        println!("{problems} problem(s) found");
        Ok(crate::exit::DOCTOR_PROBLEM)
    }
}
