//! The colour conversions of one run, decided before the first frame.

use std::path::Path;
use std::sync::Arc;

use retake_core::{Error, Result};
use retake_model::provenance::ColourRecord;

use crate::config::{library_version, Config};
use crate::model::ModelSpaces;
use crate::processor::Processor;

/// Where the output goes out of the working space.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// A colour space of the config.
    Space(String),
    /// A display and one of its views (a delivery transform).
    DisplayView { display: String, view: String },
}

/// Input space -> working space (the `scene_linear` role) on decode,
/// working space -> delivery on encode, and the model spaces.
pub struct ColourPipeline {
    config: Arc<Config>,
    working: String,
    input: String,
    delivery: Delivery,
    decode: Arc<Processor>,
    encode: Arc<Processor>,
    models: Arc<ModelSpaces>,
}

impl ColourPipeline {
    /// Opens `config` and checks every name against it. `output` and
    /// `display` exclude each other; with neither, the output goes back
    /// to the input's space. Errors name the flag at fault.
    pub fn new(
        config: &Path,
        input: &str,
        output: Option<&str>,
        display: Option<(&str, Option<&str>)>,
    ) -> Result<ColourPipeline> {
        let config = Arc::new(Config::open(config).map_err(|e| e.into_core("ocio"))?);
        let working = config.working_space().map_err(|e| e.into_core("ocio"))?;
        let input = config
            .colour_space(input)
            .map_err(|e| e.into_core("input-colorspace"))?;
        let decode = config
            .processor(&input, &working)
            .map_err(|e| e.into_core("input-colorspace"))?;
        let (delivery, encode) = match (output, display) {
            (Some(_), Some(_)) => {
                return Err(Error::parameter(
                    "display",
                    "give either --output-colorspace or --display/--view, not both",
                ))
            }
            (_, Some((display, view))) => {
                let (display, view) = config.display_view(display, view).map_err(|e| {
                    let flag = if matches!(
                        e,
                        crate::OcioError::UnknownName {
                            kind: crate::NameKind::View,
                            ..
                        }
                    ) {
                        "view"
                    } else {
                        "display"
                    };
                    e.into_core(flag)
                })?;
                let p = config
                    .display_processor(&working, &display, &view, false)
                    .map_err(|e| e.into_core("display"))?;
                (Delivery::DisplayView { display, view }, p)
            }
            (output, None) => {
                let space = match output {
                    Some(o) => config
                        .colour_space(o)
                        .map_err(|e| e.into_core("output-colorspace"))?,
                    None => input.clone(),
                };
                let p = config
                    .processor(&working, &space)
                    .map_err(|e| e.into_core("output-colorspace"))?;
                (Delivery::Space(space), p)
            }
        };
        let models = Arc::new(ModelSpaces::new(&config, &working)?);
        Ok(ColourPipeline {
            config,
            working,
            input,
            delivery,
            decode: Arc::new(decode),
            encode: Arc::new(encode),
            models,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The working space (the config's `scene_linear` role).
    pub fn working_space(&self) -> &str {
        &self.working
    }

    pub fn input_space(&self) -> &str {
        &self.input
    }

    pub fn delivery(&self) -> &Delivery {
        &self.delivery
    }

    /// Input space to working space.
    pub fn decode(&self) -> Arc<Processor> {
        self.decode.clone()
    }

    /// Working space to the delivery.
    pub fn encode(&self) -> Arc<Processor> {
        self.encode.clone()
    }

    /// The model-side conversions, for the model context.
    pub fn models(&self) -> Arc<ModelSpaces> {
        self.models.clone()
    }

    /// What the provenance records.
    pub fn record(&self) -> ColourRecord {
        let (output_space, display, view) = match &self.delivery {
            Delivery::Space(s) => (Some(s.clone()), None, None),
            Delivery::DisplayView { display, view } => {
                (None, Some(display.clone()), Some(view.clone()))
            }
        };
        ColourRecord {
            config: self.config.path().display().to_string(),
            config_sha256: self.config.sha256().to_string(),
            opencolorio: library_version(),
            working_space: self.working.clone(),
            input_space: self.input.clone(),
            output_space,
            display,
            view,
            model_space: self.models.srgb_space().map(String::from),
        }
    }
}
