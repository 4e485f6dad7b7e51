//! `retake models list|info|verify|fetch`.

use retake_core::{Error, Result};
use retake_model::{manifest, runtime, DType, Manifest, Model, Tensor, TensorSpec};

use crate::args::{GlobalArgs, ModelsCommand};
use crate::context::{model_context, model_dirs};

pub fn run(cmd: &ModelsCommand, global: &GlobalArgs) -> Result<i32> {
    match cmd {
        ModelsCommand::List => list(),
        ModelsCommand::Info { name } => info(name),
        ModelsCommand::Verify { names } => verify(names, global),
        ModelsCommand::Fetch { name, dir } => fetch(name, dir.as_deref(), global),
        ModelsCommand::Bench { name, runs } => bench(name, *runs, global),
    }
}

fn list() -> Result<i32> {
    let (found, errors) = manifest::discover(&model_dirs());
    println!("{:<28} {:<8} {:<12} status", "name", "role", "licence");
    for m in &found {
        let state = if m.model_path().is_file() {
            "installed"
        } else if m.fetch.is_some() {
            "fetchable"
        } else {
            "missing"
        };
        println!(
            "{:<28} {:<8} {:<12} {state}",
            m.label(),
            m.role.to_string(),
            m.licence
        );
    }
    for e in &errors {
        eprintln!("retake: warning: {e}");
    }
    Ok(0)
}

fn tensor(kind: &str, t: &TensorSpec) {
    let norm = if t.mean.is_empty() {
        String::new()
    } else {
        format!(", mean {:?} std {:?}", t.mean, t.std)
    };
    println!(
        "  {kind} {:<10} {} {:?} {:?}, {:?}, range {:?}{norm}",
        t.name, t.dtype, t.shape, t.layout, t.encoding, t.range
    );
    if !t.description.is_empty() {
        println!("      {}", t.description);
    }
}

fn info(name: &str) -> Result<i32> {
    let m = manifest::find(name, &model_dirs())?;
    println!("name:           {}", m.label());
    println!("role:           {}", m.role);
    println!("manifest:       {}", m.manifest_path.display());
    println!(
        "file:           {} ({})",
        m.model_path().display(),
        if m.model_path().is_file() {
            "installed"
        } else {
            "not installed"
        }
    );
    println!("sha256:         {}", m.sha256);
    println!("licence:        {}", m.licence);
    println!("source:         {}", m.source);
    println!("training data:  {}", m.training_data);
    if !m.description.is_empty() {
        println!("description:    {}", m.description);
    }
    if let Some(f) = &m.fetch {
        println!("download:       {}", f.url);
    }
    let s = &m.size;
    println!(
        "size rules:     fixed {:?}, multiple of {}, max side {}, tile overlap {}",
        s.fixed, s.multiple_of, s.max_side, s.tile_overlap
    );
    for t in &m.inputs {
        tensor("input ", t);
    }
    for t in &m.outputs {
        tensor("output", t);
    }
    Ok(0)
}

/// Full check: the file's sha256, then a session whose graph is compared
/// with the manifest.
fn verify_one(m: Manifest, global: &GlobalArgs) -> Result<String> {
    let ctx = model_context(global)?;
    let rt = runtime::init(&ctx.library)?;
    let name = m.label();
    let model = Model::load(m, rt, &ctx.providers, 1)?;
    Ok(format!(
        "{name}: ok (sha256, inputs and outputs match; runs on {})",
        model.provider.name()
    ))
}

fn verify(names: &[String], global: &GlobalArgs) -> Result<i32> {
    let dirs = model_dirs();
    let manifests: Vec<Manifest> = if names.is_empty() {
        let (found, errors) = manifest::discover(&dirs);
        if let Some(e) = errors.into_iter().next() {
            return Err(e);
        }
        found
            .into_iter()
            .filter(|m| m.model_path().is_file())
            .collect()
    } else {
        names
            .iter()
            .map(|n| manifest::find(n, &dirs))
            .collect::<Result<_>>()?
    };
    if manifests.is_empty() {
        return Err(Error::model(
            "models",
            "no installed models to verify; run scripts/setup.sh",
        ));
    }
    let mut first_error = None;
    for m in manifests {
        match verify_one(m, global) {
            Ok(line) => println!("{line}"),
            Err(e) => {
                println!("FAILED: {}", crate::table_args::message(&e));
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(0),
    }
}

fn fetch(name: &str, dir: Option<&std::path::Path>, global: &GlobalArgs) -> Result<i32> {
    let m = manifest::find(name, &model_dirs())?;
    let dest = dir.map_or_else(manifest::user_models_dir, |d| d.to_path_buf());
    let mut opts = retake_fetch::FetchOptions::from_env();
    if !global.quiet {
        let label = m.name.clone();
        let mut last = 0u64;
        opts.progress = Some(Box::new(move |done, total| {
            if done >= last + (8 << 20) || Some(done) == total {
                last = done;
                match total {
                    Some(t) => eprintln!("fetch {label}: {} / {} MiB", done >> 20, t >> 20),
                    None => eprintln!("fetch {label}: {} MiB", done >> 20),
                }
            }
        }));
    }
    let path = retake_fetch::fetch(&m, &dest, &mut opts)?;
    println!(
        "{}: installed at {} (sha256 verified)",
        m.name,
        path.display()
    );
    Ok(0)
}

/// Run the model on constant inputs of its declared shape (dynamic
/// dimensions taken as 256), so operations can be compared with it.
fn bench(name: &str, runs: usize, global: &GlobalArgs) -> Result<i32> {
    let ctx = model_context(global)?;
    let m = manifest::find(name, &ctx.dirs)?;
    let rt = runtime::init(&ctx.library)?;
    let model = Model::load(m, rt, &ctx.providers, ctx.threads)?;
    let inputs = || -> Vec<Tensor> {
        model
            .manifest
            .inputs
            .iter()
            .map(|spec| {
                let shape: Vec<i64> = spec
                    .shape
                    .iter()
                    .map(|&d| if d < 0 { 256 } else { d })
                    .collect();
                let n = shape.iter().product::<i64>() as usize;
                match spec.dtype {
                    DType::U8 => Tensor::u8(shape, vec![128; n]),
                    _ => Tensor::f32(shape, vec![0.5; n]),
                }
            })
            .collect()
    };
    model.run(inputs())?;
    let start = std::time::Instant::now();
    for _ in 0..runs.max(1) {
        model.run(inputs())?;
    }
    let secs = start.elapsed().as_secs_f64() / runs.max(1) as f64;
    println!(
        "{}: {:.1} ms per run, {:.2} runs/s on {} ({} threads)",
        model.manifest.label(),
        secs * 1e3,
        1.0 / secs,
        model.provider.name(),
        ctx.threads
    );
    Ok(0)
}
