//! The colour flags (`--ocio`, `--input-colorspace`, `--output-colorspace`,
//! `--display`/`--view`) turned into one run's OpenColorIO conversions.
//! Without a colour space, display or view nothing is converted and the
//! built-in curves decide, as before colour management existed.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use retake_core::{Error, FrameSink, Result};
use retake_model::ModelColour;
use retake_ocio::{ColourPipeline, ConvertedSink};

use crate::args::IoArgs;

/// `--ocio`, else `$OCIO` (empty counts as unset, as OpenColorIO's tools do).
pub fn config_path(flag: Option<&str>) -> Option<PathBuf> {
    flag.map(PathBuf::from).or_else(|| {
        std::env::var_os("OCIO")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
}

/// The flags a pipeline depends on.
type Key = (
    Option<PathBuf>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// One command asks for its plan from several places (models, input,
/// output); the config is opened and its processors built once.
static BUILT: Mutex<Option<(Key, Arc<ColourPipeline>)>> = Mutex::new(None);

/// The run's conversions, or `None` when no colour flag is given.
pub fn plan(io: &IoArgs) -> Result<Option<Arc<ColourPipeline>>> {
    let delivery = io.output_colorspace.is_some() || io.display.is_some() || io.view.is_some();
    if io.input_colorspace.is_none() && !delivery {
        return Ok(None);
    }
    // Job files do not pass through clap, so its checks are repeated here.
    if io.input_transfer.is_some() && io.input_colorspace.is_some() {
        return Err(Error::parameter(
            "input-transfer",
            "give either --input-transfer or --input-colorspace, not both",
        ));
    }
    if io.output_transfer.is_some() && delivery {
        return Err(Error::parameter(
            "output-transfer",
            "give either --output-transfer or --output-colorspace/--display, not both",
        ));
    }
    if io.view.is_some() && io.display.is_none() {
        return Err(Error::parameter("view", "--view needs --display"));
    }
    let input = io.input_colorspace.clone().ok_or_else(|| {
        Error::parameter(
            "input-colorspace",
            "--output-colorspace and --display convert from the input's colour space: \
             give it with --input-colorspace NAME (`retake colorspaces` lists them)",
        )
    })?;
    let config = config_path(io.ocio.as_deref()).ok_or_else(|| {
        Error::parameter(
            "ocio",
            "colour spaces are names in an OpenColorIO config: give --ocio CONFIG or set $OCIO",
        )
    })?;
    let key: Key = (
        Some(config.clone()),
        input.clone(),
        io.output_colorspace.clone(),
        io.display.clone(),
        io.view.clone(),
    );
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((k, p)) = built.as_ref() {
        if *k == key {
            return Ok(Some(p.clone()));
        }
    }
    let pipeline = Arc::new(ColourPipeline::new(
        &config,
        &input,
        io.output_colorspace.as_deref(),
        io.display.as_deref().map(|d| (d, io.view.as_deref())),
    )?);
    log::info!(
        "colour: {} -> working space {} -> {:?} ({})",
        pipeline.input_space(),
        pipeline.working_space(),
        pipeline.delivery(),
        config.display()
    );
    *built = Some((key, pipeline.clone()));
    Ok(Some(pipeline))
}

/// What models get their pictures through, for the model context.
pub fn model_colour(io: &IoArgs) -> Result<Option<Arc<dyn ModelColour>>> {
    Ok(plan(io)?.map(|p| p.models() as Arc<dyn ModelColour>))
}

/// The output sink, converting out of the working space when a config is
/// in use.
pub fn wrap_sink(sink: Box<dyn FrameSink>, colour: Option<&ColourPipeline>) -> Box<dyn FrameSink> {
    match colour {
        Some(c) => Box::new(ConvertedSink::new(sink, c.encode())),
        None => sink,
    }
}
