//! `retake colorspaces`: what an OpenColorIO config offers, so users can
//! pick names for --input-colorspace, --output-colorspace and --display/--view.

use retake_core::{Error, Result};
use retake_ocio::{library_version, Config};

use super::colour::config_path;
use crate::args::ColorspacesArgs;

pub fn run(a: &ColorspacesArgs) -> Result<i32> {
    let path = config_path(a.ocio.as_deref()).ok_or_else(|| {
        Error::parameter("ocio", "give the config with --ocio CONFIG or set $OCIO")
    })?;
    let config = Config::open(&path).map_err(|e| e.into_core("ocio"))?;
    let working = config.working_space().ok();
    let spaces = config.colour_spaces();
    let roles = config.roles();
    let displays: Vec<(String, Vec<String>)> = config
        .displays()
        .into_iter()
        .map(|d| {
            let views = config.views(&d);
            (d, views)
        })
        .collect();
    if a.json {
        let j = serde_json::json!({
            "config": path.display().to_string(),
            "sha256": config.sha256(),
            "opencolorio": library_version(),
            "working_space": working,
            "colour_spaces": spaces,
            "roles": roles
                .iter()
                .map(|(r, s)| (r.clone(), serde_json::json!(s)))
                .collect::<serde_json::Map<_, _>>(),
            "displays": displays
                .iter()
                .map(|(d, v)| (d.clone(), serde_json::json!(v)))
                .collect::<serde_json::Map<_, _>>(),
        });
        println!("{j:#}");
        return Ok(0);
    }
    println!("config: {} (sha256 {})", path.display(), config.sha256());
    println!("OpenColorIO: {}", library_version());
    println!(
        "working space (scene_linear): {}",
        working
            .as_deref()
            .unwrap_or("none: the config has no scene_linear role")
    );
    println!("\ncolour spaces:");
    spaces.iter().for_each(|s| println!("  {s}"));
    println!("\nroles:");
    roles.iter().for_each(|(r, s)| println!("  {r}: {s}"));
    println!("\ndisplays: views");
    displays
        .iter()
        .for_each(|(d, v)| println!("  {d}: {}", v.join(", ")));
    Ok(0)
}
