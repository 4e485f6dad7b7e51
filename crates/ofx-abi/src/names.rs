//! Names the standard fixes: status codes, suites, actions, properties and
//! their values. Strings are `&CStr` so they can be handed to C as they are
//! and compared with what C hands back.

use std::ffi::CStr;

use crate::OfxStatus;

// Status codes.
pub const STAT_OK: OfxStatus = 0;
pub const STAT_FAILED: OfxStatus = 1;
pub const STAT_ERR_FATAL: OfxStatus = 2;
pub const STAT_ERR_UNKNOWN: OfxStatus = 3;
pub const STAT_ERR_MISSING_HOST_FEATURE: OfxStatus = 4;
pub const STAT_ERR_UNSUPPORTED: OfxStatus = 5;
pub const STAT_ERR_EXISTS: OfxStatus = 6;
pub const STAT_ERR_FORMAT: OfxStatus = 7;
pub const STAT_ERR_MEMORY: OfxStatus = 8;
pub const STAT_ERR_BAD_HANDLE: OfxStatus = 9;
pub const STAT_ERR_BAD_INDEX: OfxStatus = 10;
pub const STAT_ERR_VALUE: OfxStatus = 11;
pub const STAT_REPLY_DEFAULT: OfxStatus = 14;
pub const STAT_ERR_IMAGE_FORMAT: OfxStatus = 1000;

/// The API every image effect plugin declares.
pub const IMAGE_EFFECT_PLUGIN_API: &CStr = c"OfxImageEffectPluginAPI";

// Suites.
pub const SUITE_PROPERTY: &CStr = c"OfxPropertySuite";
pub const SUITE_IMAGE_EFFECT: &CStr = c"OfxImageEffectSuite";
pub const SUITE_PARAMETER: &CStr = c"OfxParameterSuite";
pub const SUITE_MEMORY: &CStr = c"OfxMemorySuite";
pub const SUITE_MULTI_THREAD: &CStr = c"OfxMultiThreadSuite";
pub const SUITE_MESSAGE: &CStr = c"OfxMessageSuite";
pub const SUITE_PROGRESS: &CStr = c"OfxProgressSuite";

// Actions.
pub const ACTION_LOAD: &CStr = c"OfxActionLoad";
pub const ACTION_UNLOAD: &CStr = c"OfxActionUnload";
pub const ACTION_DESCRIBE: &CStr = c"OfxActionDescribe";
pub const ACTION_CREATE_INSTANCE: &CStr = c"OfxActionCreateInstance";
pub const ACTION_DESTROY_INSTANCE: &CStr = c"OfxActionDestroyInstance";
pub const ACTION_INSTANCE_CHANGED: &CStr = c"OfxActionInstanceChanged";
pub const ACTION_BEGIN_INSTANCE_CHANGED: &CStr = c"OfxActionBeginInstanceChanged";
pub const ACTION_END_INSTANCE_CHANGED: &CStr = c"OfxActionEndInstanceChanged";
pub const ACTION_PURGE_CACHES: &CStr = c"OfxActionPurgeCaches";
pub const ACTION_SYNC_PRIVATE_DATA: &CStr = c"OfxActionSyncPrivateData";
pub const ACTION_DESCRIBE_IN_CONTEXT: &CStr = c"OfxImageEffectActionDescribeInContext";
pub const ACTION_GET_REGION_OF_DEFINITION: &CStr = c"OfxImageEffectActionGetRegionOfDefinition";
pub const ACTION_GET_REGIONS_OF_INTEREST: &CStr = c"OfxImageEffectActionGetRegionsOfInterest";
pub const ACTION_GET_FRAMES_NEEDED: &CStr = c"OfxImageEffectActionGetFramesNeeded";
pub const ACTION_GET_CLIP_PREFERENCES: &CStr = c"OfxImageEffectActionGetClipPreferences";
pub const ACTION_GET_TIME_DOMAIN: &CStr = c"OfxImageEffectActionGetTimeDomain";
pub const ACTION_IS_IDENTITY: &CStr = c"OfxImageEffectActionIsIdentity";
pub const ACTION_RENDER: &CStr = c"OfxImageEffectActionRender";
pub const ACTION_BEGIN_SEQUENCE_RENDER: &CStr = c"OfxImageEffectActionBeginSequenceRender";
pub const ACTION_END_SEQUENCE_RENDER: &CStr = c"OfxImageEffectActionEndSequenceRender";

// General properties.
pub const PROP_TYPE: &CStr = c"OfxPropType";
pub const PROP_NAME: &CStr = c"OfxPropName";
pub const PROP_LABEL: &CStr = c"OfxPropLabel";
pub const PROP_SHORT_LABEL: &CStr = c"OfxPropShortLabel";
pub const PROP_LONG_LABEL: &CStr = c"OfxPropLongLabel";
pub const PROP_TIME: &CStr = c"OfxPropTime";
pub const PROP_VERSION_LABEL: &CStr = c"OfxPropVersionLabel";
pub const PROP_PLUGIN_DESCRIPTION: &CStr = c"OfxPropPluginDescription";
pub const PROP_API_VERSION: &CStr = c"OfxPropAPIVersion";
pub const PROP_CHANGE_REASON: &CStr = c"OfxPropChangeReason";
pub const PROP_INSTANCE_DATA: &CStr = c"OfxPropInstanceData";

// Effect (descriptor and instance) properties.
pub const EFFECT_PROP_SUPPORTED_CONTEXTS: &CStr = c"OfxImageEffectPropSupportedContexts";
pub const EFFECT_PROP_CONTEXT: &CStr = c"OfxImageEffectPropContext";
pub const EFFECT_PLUGIN_PROP_GROUPING: &CStr = c"OfxImageEffectPluginPropGrouping";
pub const EFFECT_PROP_SUPPORTED_PIXEL_DEPTHS: &CStr = c"OfxImageEffectPropSupportedPixelDepths";
pub const EFFECT_PROP_SUPPORTED_COMPONENTS: &CStr = c"OfxImageEffectPropSupportedComponents";
pub const EFFECT_PROP_SUPPORTS_MULTIPLE_CLIP_DEPTHS: &CStr =
    c"OfxImageEffectPropSupportsMultipleClipDepths";
pub const EFFECT_PROP_SUPPORTS_MULTIPLE_CLIP_PARS: &CStr =
    c"OfxImageEffectPropSupportsMultipleClipPARs";
pub const EFFECT_PROP_SUPPORTS_MULTI_RESOLUTION: &CStr =
    c"OfxImageEffectPropSupportsMultiResolution";
pub const EFFECT_PROP_SUPPORTS_TILES: &CStr = c"OfxImageEffectPropSupportsTiles";
pub const EFFECT_PROP_TEMPORAL_CLIP_ACCESS: &CStr = c"OfxImageEffectPropTemporalClipAccess";
pub const EFFECT_PLUGIN_RENDER_THREAD_SAFETY: &CStr = c"OfxImageEffectPluginRenderThreadSafety";
pub const EFFECT_PLUGIN_PROP_HOST_FRAME_THREADING: &CStr =
    c"OfxImageEffectPluginPropHostFrameThreading";
pub const EFFECT_PLUGIN_PROP_SINGLE_INSTANCE: &CStr = c"OfxImageEffectPluginPropSingleInstance";
pub const EFFECT_PLUGIN_PROP_FIELD_RENDER_TWICE_ALWAYS: &CStr =
    c"OfxImageEffectPluginPropFieldRenderTwiceAlways";
pub const EFFECT_PROP_RENDER_SCALE: &CStr = c"OfxImageEffectPropRenderScale";
pub const EFFECT_PROP_RENDER_WINDOW: &CStr = c"OfxImageEffectPropRenderWindow";
pub const EFFECT_PROP_FIELD_TO_RENDER: &CStr = c"OfxImageEffectPropFieldToRender";
pub const EFFECT_PROP_REGION_OF_DEFINITION: &CStr = c"OfxImageEffectPropRegionOfDefinition";
pub const EFFECT_PROP_REGION_OF_INTEREST: &CStr = c"OfxImageEffectPropRegionOfInterest";
pub const EFFECT_PROP_FRAME_RANGE: &CStr = c"OfxImageEffectPropFrameRange";
pub const EFFECT_PROP_PIXEL_DEPTH: &CStr = c"OfxImageEffectPropPixelDepth";
pub const EFFECT_PROP_COMPONENTS: &CStr = c"OfxImageEffectPropComponents";
pub const EFFECT_PROP_PRE_MULTIPLICATION: &CStr = c"OfxImageEffectPropPreMultiplication";
pub const EFFECT_PROP_SEQUENTIAL_RENDER_STATUS: &CStr = c"OfxImageEffectPropSequentialRenderStatus";
pub const EFFECT_FRAME_VARYING: &CStr = c"OfxImageEffectFrameVarying";
pub const EFFECT_INSTANCE_PROP_EFFECT_DURATION: &CStr = c"OfxImageEffectInstancePropEffectDuration";

// Contexts.
pub const CONTEXT_FILTER: &CStr = c"OfxImageEffectContextFilter";
pub const CONTEXT_GENERAL: &CStr = c"OfxImageEffectContextGeneral";

// Thread safety values.
pub const RENDER_UNSAFE: &CStr = c"OfxImageEffectRenderUnsafe";
pub const RENDER_INSTANCE_SAFE: &CStr = c"OfxImageEffectRenderInstanceSafe";
pub const RENDER_FULLY_SAFE: &CStr = c"OfxImageEffectRenderFullySafe";

// Clips.
pub const CLIP_SOURCE: &CStr = c"Source";
pub const CLIP_OUTPUT: &CStr = c"Output";
pub const CLIP_PROP_OPTIONAL: &CStr = c"OfxImageClipPropOptional";
pub const CLIP_PROP_IS_MASK: &CStr = c"OfxImageClipPropIsMask";
pub const CLIP_PROP_CONNECTED: &CStr = c"OfxImageClipPropConnected";
pub const CLIP_PROP_UNMAPPED_PIXEL_DEPTH: &CStr = c"OfxImageClipPropUnmappedPixelDepth";
pub const CLIP_PROP_UNMAPPED_COMPONENTS: &CStr = c"OfxImageClipPropUnmappedComponents";
pub const CLIP_PROP_FIELD_EXTRACTION: &CStr = c"OfxImageClipPropFieldExtraction";
/// Out-argument prefixes: the clip's name follows.
pub const CLIP_ROI_PREFIX: &str = "OfxImageClipPropRoI_";
pub const CLIP_FRAME_RANGE_PREFIX: &str = "OfxImageClipPropFrameRange_";
pub const CLIP_COMPONENTS_PREFIX: &str = "OfxImageClipPropComponents_";
pub const CLIP_DEPTH_PREFIX: &str = "OfxImageClipPropDepth_";

// Images.
pub const IMAGE_PROP_DATA: &CStr = c"OfxImagePropData";
pub const IMAGE_PROP_BOUNDS: &CStr = c"OfxImagePropBounds";
pub const IMAGE_PROP_REGION_OF_DEFINITION: &CStr = c"OfxImagePropRegionOfDefinition";
pub const IMAGE_PROP_ROW_BYTES: &CStr = c"OfxImagePropRowBytes";
pub const IMAGE_PROP_PIXEL_ASPECT_RATIO: &CStr = c"OfxImagePropPixelAspectRatio";
pub const IMAGE_PROP_FIELD: &CStr = c"OfxImagePropField";
pub const IMAGE_PROP_UNIQUE_IDENTIFIER: &CStr = c"OfxImagePropUniqueIdentifier";
pub const IMAGE_FIELD_NONE: &CStr = c"OfxFieldNone";
pub const IMAGE_OPAQUE: &CStr = c"OfxImageOpaque";
pub const IMAGE_PRE_MULTIPLIED: &CStr = c"OfxImageAlphaPremultiplied";
pub const IMAGE_UN_PRE_MULTIPLIED: &CStr = c"OfxImageAlphaUnPremultiplied";

// Pixel depths and components.
pub const BIT_DEPTH_NONE: &CStr = c"OfxBitDepthNone";
pub const BIT_DEPTH_BYTE: &CStr = c"OfxBitDepthByte";
pub const BIT_DEPTH_SHORT: &CStr = c"OfxBitDepthShort";
pub const BIT_DEPTH_HALF: &CStr = c"OfxBitDepthHalf";
pub const BIT_DEPTH_FLOAT: &CStr = c"OfxBitDepthFloat";
pub const COMPONENT_NONE: &CStr = c"OfxImageComponentNone";
pub const COMPONENT_RGBA: &CStr = c"OfxImageComponentRGBA";
pub const COMPONENT_RGB: &CStr = c"OfxImageComponentRGB";
pub const COMPONENT_ALPHA: &CStr = c"OfxImageComponentAlpha";

// Parameters.
pub const PARAM_TYPE_INTEGER: &CStr = c"OfxParamTypeInteger";
pub const PARAM_TYPE_DOUBLE: &CStr = c"OfxParamTypeDouble";
pub const PARAM_TYPE_BOOLEAN: &CStr = c"OfxParamTypeBoolean";
pub const PARAM_TYPE_CHOICE: &CStr = c"OfxParamTypeChoice";
pub const PARAM_TYPE_RGB: &CStr = c"OfxParamTypeRGB";
pub const PARAM_TYPE_STRING: &CStr = c"OfxParamTypeString";
pub const PARAM_TYPE_GROUP: &CStr = c"OfxParamTypeGroup";
pub const PARAM_PROP_DEFAULT: &CStr = c"OfxParamPropDefault";
pub const PARAM_PROP_MIN: &CStr = c"OfxParamPropMin";
pub const PARAM_PROP_MAX: &CStr = c"OfxParamPropMax";
pub const PARAM_PROP_DISPLAY_MIN: &CStr = c"OfxParamPropDisplayMin";
pub const PARAM_PROP_DISPLAY_MAX: &CStr = c"OfxParamPropDisplayMax";
pub const PARAM_PROP_ANIMATES: &CStr = c"OfxParamPropAnimates";
pub const PARAM_PROP_HINT: &CStr = c"OfxParamPropHint";
pub const PARAM_PROP_SCRIPT_NAME: &CStr = c"OfxParamPropScriptName";
pub const PARAM_PROP_PARENT: &CStr = c"OfxParamPropParent";
pub const PARAM_PROP_CHOICE_OPTION: &CStr = c"OfxParamPropChoiceOption";
pub const PARAM_PROP_DOUBLE_TYPE: &CStr = c"OfxParamPropDoubleType";
pub const PARAM_PROP_ENABLED: &CStr = c"OfxParamPropEnabled";
pub const PARAM_PROP_EVALUATE_ON_CHANGE: &CStr = c"OfxParamPropEvaluateOnChange";
pub const PARAM_PROP_INCREMENT: &CStr = c"OfxParamPropIncrement";
pub const PARAM_PROP_DIGITS: &CStr = c"OfxParamPropDigits";
pub const PARAM_DOUBLE_TYPE_ANGLE: &CStr = c"OfxParamDoubleTypeAngle";
pub const PARAM_DOUBLE_TYPE_PLAIN: &CStr = c"OfxParamDoubleTypePlain";

// Messages.
pub const MESSAGE_ERROR: &CStr = c"OfxMessageError";
pub const MESSAGE_WARNING: &CStr = c"OfxMessageWarning";
pub const MESSAGE_MESSAGE: &CStr = c"OfxMessageMessage";
pub const MESSAGE_LOG: &CStr = c"OfxMessageLog";
