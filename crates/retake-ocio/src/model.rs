//! What models see when a config is in use: the working space converted by
//! OpenColorIO to the space a model's manifest names (sRGB-encoded or
//! linear Rec.709), instead of assuming the frames are Rec.709.

use std::sync::Arc;

use retake_core::{Error, Result};
use retake_model::manifest::PixelEncoding;
use retake_model::ModelColour;

use crate::config::Config;
use crate::processor::Processor;

/// Names of the sRGB-encoded Rec.709 space in the ACES configs (1.x and
/// 2.x) and common studio configs, with their aliases.
const SRGB_NAMES: &[&str] = &[
    "sRGB - Texture",
    "srgb_tx",
    "Utility - sRGB - Texture",
    "sRGB Encoded Rec.709 (sRGB)",
    "srgb_texture",
    "sRGB",
];
/// Names of linear Rec.709 (sRGB primaries).
const LINEAR_NAMES: &[&str] = &[
    "Linear Rec.709 (sRGB)",
    "lin_rec709_srgb",
    "Utility - Linear - sRGB",
    "lin_srgb",
    "Linear sRGB",
    "linear",
];

/// Both directions between the working space and one model space.
#[derive(Debug)]
struct Pair {
    space: String,
    to_model: Processor,
    from_model: Processor,
}

impl Pair {
    fn find(config: &Config, working: &str, names: &[&str]) -> Result<Option<Pair>> {
        let Some(space) = config.first_space_of(names) else {
            return Ok(None);
        };
        let build =
            |from: &str, to: &str| config.processor(from, to).map_err(|e| e.into_core("ocio"));
        Ok(Some(Pair {
            to_model: build(working, &space)?,
            from_model: build(&space, working)?,
            space,
        }))
    }
}

/// The model side of a run's colour management (see [`ModelColour`]).
#[derive(Debug)]
pub struct ModelSpaces {
    config: String,
    srgb: Option<Pair>,
    linear: Option<Pair>,
}

impl ModelSpaces {
    pub fn new(config: &Arc<Config>, working: &str) -> Result<ModelSpaces> {
        Ok(ModelSpaces {
            config: config.path().display().to_string(),
            srgb: Pair::find(config, working, SRGB_NAMES)?,
            linear: Pair::find(config, working, LINEAR_NAMES)?,
        })
    }

    /// The config's sRGB-encoded Rec.709 space, when it has one.
    pub fn srgb_space(&self) -> Option<&str> {
        self.srgb.as_ref().map(|p| p.space.as_str())
    }

    fn pair(&self, encoding: PixelEncoding) -> Result<&Pair> {
        let (pair, names) = match encoding {
            PixelEncoding::Srgb => (&self.srgb, SRGB_NAMES),
            PixelEncoding::Linear => (&self.linear, LINEAR_NAMES),
        };
        pair.as_ref().ok_or_else(|| {
            Error::input(
                &self.config,
                format!(
                    "a model needs {encoding:?} Rec.709 pictures, but this config has none of \
                     the spaces {}; add one of them (or an alias) to the config",
                    names.join(", ")
                ),
            )
        })
    }
}

impl ModelColour for ModelSpaces {
    fn encode_for_model(&self, encoding: PixelEncoding, rgb: &mut [f32]) -> Result<()> {
        self.pair(encoding)?
            .to_model
            .apply(rgb, 3)
            .map_err(|e| e.into_core("ocio"))
    }

    fn decode_from_model(&self, encoding: PixelEncoding, rgb: &mut [f32]) -> Result<()> {
        self.pair(encoding)?
            .from_model
            .apply(rgb, 3)
            .map_err(|e| e.into_core("ocio"))
    }
}
