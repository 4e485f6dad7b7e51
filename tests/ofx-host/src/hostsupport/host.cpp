// A second OpenFX test host, built on the official OpenFX HostSupport
// library (the C++ host library of the OpenFX repository, compiled from
// the openfx-sys crate's source tree by build.rs). HostSupport validates
// every property name and type the plugin uses, exactly as hosts built on
// it do; this file only supplies what the library leaves to a host:
// clips that hand out images, parameters that hold values, messages, and
// the host's description. Rust drives it through the small C API at the
// end (see src/hostsupport.rs).
//
// Images: the footage is float, top row first (retake_core::Frame); the
// host hands it out in the clip's negotiated depth, bottom row first, as
// OpenFX requires, and reads the Output back the same way.

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "ofxCore.h"
#include "ofxImageEffect.h"
#include "ofxMessage.h"
// HostSupport's headers depend on each other in this order.
#include "ofxhBinary.h"
#include "ofxhPropertySuite.h"
#include "ofxhClip.h"
#include "ofxhParam.h"
#include "ofxhMemory.h"
#include "ofxhImageEffect.h"
#include "ofxhPluginAPICache.h"
#include "ofxhPluginCache.h"
#include "ofxhHost.h"
#include "ofxhImageEffectAPI.h"

namespace Hs = OFX::Host;
namespace Ie = OFX::Host::ImageEffect;

namespace {

// ---------------------------------------------------------------- journal

std::mutex g_lock;
std::string g_messages;  // one line per message: "kind\ttext"
std::string g_persistent;

void record(const char *kind, const char *format, va_list args, bool persistent) {
  char buf[4096];
  vsnprintf(buf, sizeof buf, format ? format : "", args);
  std::lock_guard<std::mutex> hold(g_lock);
  g_messages += std::string(kind ? kind : "?") + (persistent ? "\tpersistent\t" : "\t\t") + buf + "\n";
  if (persistent) g_persistent = buf;
}

// ---------------------------------------------------------------- footage

/// Frames a clip plays: float, top row first, `channels` per pixel.
struct Footage {
  int width = 0, height = 0, channels = 4;
  int first = 0;
  std::string depth = kOfxBitDepthFloat;
  std::vector<std::vector<float>> frames;
  bool has(double t) const {
    long i = std::lround(t) - first;
    return i >= 0 && i < (long)frames.size();
  }
  const std::vector<float> &at(double t) const { return frames[std::lround(t) - first]; }
};

int depth_bytes(const std::string &depth) {
  if (depth == kOfxBitDepthByte) return 1;
  if (depth == kOfxBitDepthShort) return 2;
  return 4;
}

int component_count(const std::string &components) {
  if (components == kOfxImageComponentAlpha) return 1;
  if (components == kOfxImageComponentRGB) return 3;
  return 4;
}

const char *components_of(int channels) {
  return channels == 1 ? kOfxImageComponentAlpha
                       : channels == 3 ? kOfxImageComponentRGB : kOfxImageComponentRGBA;
}

/// Pixels of one image, owned by the image.
struct Pixels {
  std::vector<unsigned char> bytes;
};

/// An image whose pixels live and die with it (released by the plugin).
class OwnedImage : private Pixels, public Ie::Image {
 public:
  OwnedImage(Ie::ClipInstance &clip, std::vector<unsigned char> &&data, const OfxRectI &bounds,
             int rowBytes, const std::string &id)
      : Pixels{std::move(data)},
        Ie::Image(clip, 1.0, 1.0, bytes.data(), bounds, bounds, rowBytes, kOfxImageFieldNone, id) {}
};

/// An image over memory the clip keeps (the Output, read back after render).
class LentImage : public Ie::Image {
 public:
  LentImage(Ie::ClipInstance &clip, unsigned char *data, const OfxRectI &bounds, int rowBytes)
      : Ie::Image(clip, 1.0, 1.0, data, bounds, bounds, rowBytes, kOfxImageFieldNone, "output") {}
};

/// Host behaviours met in real hosts, switched on per instance.
struct Quirks {
  /// Report optional clips as connected and return no image for them
  /// (DaVinci Resolve does this).
  bool unconnected_reported_connected = false;
  /// Give no frame range for clips (the property read fails).
  bool no_clip_frame_range = false;
  /// Give no effect duration either (0).
  bool no_effect_duration = false;
};

/// Bits of the `quirks` argument of retake_hs_instance.
enum { QUIRK_RESOLVE = 1, QUIRK_NO_CLIP_RANGE = 2, QUIRK_NO_DURATION = 4 };

// ---------------------------------------------------------------- clips

class Clip : public Ie::ClipInstance {
 public:
  Clip(Ie::Instance *effect, Ie::ClipDescriptor &desc, const Quirks &quirks)
      : Ie::ClipInstance(effect, desc), _quirks(quirks) {}

  std::unique_ptr<Footage> footage;
  /// Size of the Source, for the Output and unconnected clips.
  int width = 0, height = 0;
  std::vector<unsigned char> output;  // the Output's pixels
  std::vector<double> fetched;        // times the plugin asked for

  const std::string &getUnmappedBitDepth() const override {
    static const std::string none = kOfxBitDepthNone;
    return footage ? footage->depth : (isOutput() ? _outputDepth : none);
  }
  const std::string &getUnmappedComponents() const override {
    _components = footage ? components_of(footage->channels)
                          : (isOutput() ? kOfxImageComponentRGBA : kOfxImageComponentNone);
    return _components;
  }
  const std::string &getPremult() const override {
    static const std::string un = kOfxImageUnPreMultiplied, opaque = kOfxImageOpaque;
    return footage && footage->channels == 3 ? opaque : un;
  }
  double getAspectRatio() const override { return 1.0; }
  double getFrameRate() const override { return 24.0; }
  void getFrameRange(double &a, double &b) const override {
    if (_quirks.no_clip_frame_range) throw Hs::Property::Exception(kOfxStatErrUnknown);
    const Footage *f = footage ? footage.get() : nullptr;
    a = f ? f->first : 0;
    b = f ? f->first + (double)f->frames.size() - 1 : 0;
  }
  const std::string &getFieldOrder() const override {
    static const std::string none = kOfxImageFieldNone;
    return none;
  }
  bool getConnected() const override {
    if (isOutput()) return true;
    return footage != nullptr || (_quirks.unconnected_reported_connected && isOptional());
  }
  double getUnmappedFrameRate() const override { return 24.0; }
  void getUnmappedFrameRange(double &a, double &b) const override { getFrameRange(a, b); }
  bool getContinuousSamples() const override { return false; }
  OfxRectD getRegionOfDefinition(OfxTime) const override {
    OfxRectD r = {0, 0, (double)width, (double)height};
    return r;
  }

  Ie::Image *getImage(OfxTime time, const OfxRectD *) override {
    {
      std::lock_guard<std::mutex> hold(g_lock);
      fetched.push_back(time);
    }
    const std::string depth = getPixelDepth();
    const int n = component_count(getComponents());
    const int bytes = depth_bytes(depth);
    const OfxRectI bounds = {0, 0, width, height};
    const int rowBytes = width * n * bytes;
    if (isOutput()) {
      output.assign((size_t)rowBytes * height, 0);
      return new LentImage(*this, output.data(), bounds, rowBytes);
    }
    if (!footage || !footage->has(time)) return nullptr;
    const Footage &f = *footage;
    const std::vector<float> &src = f.at(time);
    std::vector<unsigned char> data((size_t)rowBytes * height);
    for (int y = 0; y < height; ++y) {
      const float *row = &src[(size_t)(height - 1 - y) * width * f.channels];
      unsigned char *dst = &data[(size_t)y * rowBytes];
      for (int x = 0; x < width; ++x) {
        for (int c = 0; c < n; ++c) {
          // A one-channel matte fills every channel; alpha-only images
          // take the footage's last channel; RGB footage is opaque.
          int from = f.channels == 1 ? 0 : (n == 1 ? f.channels - 1 : c);
          float v = from < f.channels ? row[x * f.channels + from] : 1.0f;
          size_t at = (size_t)(x * n + c);
          if (bytes == 4) {
            std::memcpy(dst + at * 4, &v, 4);
          } else if (bytes == 2) {
            unsigned short s = (unsigned short)std::lround(std::fmin(std::fmax(v, 0.0f), 1.0f) * 65535.0f);
            std::memcpy(dst + at * 2, &s, 2);
          } else {
            dst[at] = (unsigned char)std::lround(std::fmin(std::fmax(v, 0.0f), 1.0f) * 255.0f);
          }
        }
      }
    }
    std::ostringstream id;
    id << getName() << "@" << time;
    return new OwnedImage(*this, std::move(data), bounds, rowBytes, id.str());
  }

  /// The Output's pixels as float RGBA (or its components), top row first.
  std::vector<float> read_output(int &channels) const {
    const int n = component_count(getComponents());
    const int bytes = depth_bytes(getPixelDepth());
    channels = n;
    std::vector<float> out((size_t)width * height * n);
    if (output.size() < (size_t)width * height * n * bytes) return out;
    for (int y = 0; y < height; ++y) {
      const unsigned char *row = &output[(size_t)(height - 1 - y) * width * n * bytes];
      for (int i = 0; i < width * n; ++i) {
        float v;
        if (bytes == 4) {
          std::memcpy(&v, row + i * 4, 4);
        } else if (bytes == 2) {
          unsigned short s;
          std::memcpy(&s, row + i * 2, 2);
          v = s / 65535.0f;
        } else {
          v = row[i] / 255.0f;
        }
        out[(size_t)y * width * n + i] = v;
      }
    }
    return out;
  }

  std::string _outputDepth = kOfxBitDepthFloat;

 private:
  const Quirks &_quirks;
  mutable std::string _components;
};

// ---------------------------------------------------------------- params

/// A parameter the test can set from numbers (choice: the option's index).
struct Settable {
  virtual ~Settable() {}
  virtual void assign(const double *v, int n) = 0;
};

class DoubleParam : public Hs::Param::DoubleInstance, public Settable {
  double _v;

 public:
  DoubleParam(Hs::Param::Descriptor &d, Hs::Param::SetInstance *set)
      : Hs::Param::DoubleInstance(d, set), _v(d.getProperties().getDoubleProperty(kOfxParamPropDefault)) {}
  OfxStatus get(double &v) override { v = _v; return kOfxStatOK; }
  OfxStatus get(OfxTime, double &v) override { v = _v; return kOfxStatOK; }
  OfxStatus set(double v) override { _v = v; return kOfxStatOK; }
  OfxStatus set(OfxTime, double v) override { _v = v; return kOfxStatOK; }
  OfxStatus derive(OfxTime, double &v) override { v = 0; return kOfxStatOK; }
  OfxStatus integrate(OfxTime a, OfxTime b, double &v) override { v = _v * (b - a); return kOfxStatOK; }
  void assign(const double *v, int n) override { if (n > 0) _v = v[0]; }
};

class IntParam : public Hs::Param::IntegerInstance, public Settable {
  int _v;

 public:
  IntParam(Hs::Param::Descriptor &d, Hs::Param::SetInstance *set)
      : Hs::Param::IntegerInstance(d, set), _v(d.getProperties().getIntProperty(kOfxParamPropDefault)) {}
  OfxStatus get(int &v) override { v = _v; return kOfxStatOK; }
  OfxStatus get(OfxTime, int &v) override { v = _v; return kOfxStatOK; }
  OfxStatus set(int v) override { _v = v; return kOfxStatOK; }
  OfxStatus set(OfxTime, int v) override { _v = v; return kOfxStatOK; }
  void assign(const double *v, int n) override { if (n > 0) _v = (int)std::lround(v[0]); }
};

class BoolParam : public Hs::Param::BooleanInstance, public Settable {
  bool _v;

 public:
  BoolParam(Hs::Param::Descriptor &d, Hs::Param::SetInstance *set)
      : Hs::Param::BooleanInstance(d, set), _v(d.getProperties().getIntProperty(kOfxParamPropDefault) != 0) {}
  OfxStatus get(bool &v) override { v = _v; return kOfxStatOK; }
  OfxStatus get(OfxTime, bool &v) override { v = _v; return kOfxStatOK; }
  OfxStatus set(bool v) override { _v = v; return kOfxStatOK; }
  OfxStatus set(OfxTime, bool v) override { _v = v; return kOfxStatOK; }
  void assign(const double *v, int n) override { if (n > 0) _v = v[0] != 0.0; }
};

class ChoiceParam : public Hs::Param::ChoiceInstance, public Settable {
  int _v;

 public:
  ChoiceParam(Hs::Param::Descriptor &d, Hs::Param::SetInstance *set)
      : Hs::Param::ChoiceInstance(d, set), _v(d.getProperties().getIntProperty(kOfxParamPropDefault)) {}
  OfxStatus get(int &v) override { v = _v; return kOfxStatOK; }
  OfxStatus get(OfxTime, int &v) override { v = _v; return kOfxStatOK; }
  OfxStatus set(int v) override { _v = v; return kOfxStatOK; }
  OfxStatus set(OfxTime, int v) override { _v = v; return kOfxStatOK; }
  void assign(const double *v, int n) override { if (n > 0) _v = (int)std::lround(v[0]); }
};

class RgbParam : public Hs::Param::RGBInstance, public Settable {
  double _v[3];

 public:
  RgbParam(Hs::Param::Descriptor &d, Hs::Param::SetInstance *set) : Hs::Param::RGBInstance(d, set) {
    for (int i = 0; i < 3; ++i) _v[i] = d.getProperties().getDoubleProperty(kOfxParamPropDefault, i);
  }
  OfxStatus get(double &r, double &g, double &b) override { r = _v[0]; g = _v[1]; b = _v[2]; return kOfxStatOK; }
  OfxStatus get(OfxTime, double &r, double &g, double &b) override { return get(r, g, b); }
  OfxStatus set(double r, double g, double b) override { _v[0] = r; _v[1] = g; _v[2] = b; return kOfxStatOK; }
  OfxStatus set(OfxTime, double r, double g, double b) override { return set(r, g, b); }
  void assign(const double *v, int n) override { for (int i = 0; i < n && i < 3; ++i) _v[i] = v[i]; }
};

class StringParam : public Hs::Param::StringInstance {
  std::string _v;

 public:
  StringParam(Hs::Param::Descriptor &d, Hs::Param::SetInstance *set)
      : Hs::Param::StringInstance(d, set), _v(d.getProperties().getStringProperty(kOfxParamPropDefault)) {}
  OfxStatus get(std::string &v) override { v = _v; return kOfxStatOK; }
  OfxStatus get(OfxTime, std::string &v) override { v = _v; return kOfxStatOK; }
  OfxStatus set(const char *v) override { _v = v ? v : ""; return kOfxStatOK; }
  OfxStatus set(OfxTime, const char *v) override { return set(v); }
};

// ---------------------------------------------------------------- effect

class Effect : public Ie::Instance {
 public:
  Effect(Ie::ImageEffectPlugin *plugin, Ie::Descriptor &desc, const std::string &context)
      : Ie::Instance(plugin, desc, context, false) {}

  Quirks quirks;
  double time = 0;

  Clip *clip(const std::string &name) const { return dynamic_cast<Clip *>(getClip(name)); }

  const std::string &getDefaultOutputFielding() const override {
    static const std::string none = kOfxImageFieldNone;
    return none;
  }
  Ie::ClipInstance *newClipInstance(Ie::Instance *effect, Ie::ClipDescriptor *desc, int) override {
    return new Clip(effect, *desc, quirks);
  }
  OfxStatus vmessage(const char *kind, const char *, const char *format, va_list args) override {
    record(kind, format, args, false);
    return kOfxStatOK;
  }
  OfxStatus setPersistentMessage(const char *kind, const char *, const char *format, va_list args) override {
    record(kind, format, args, true);
    return kOfxStatOK;
  }
  OfxStatus clearPersistentMessage() override {
    std::lock_guard<std::mutex> hold(g_lock);
    g_persistent.clear();
    return kOfxStatOK;
  }
  void size(double &w, double &h) const {
    Clip *s = clip(kOfxImageEffectSimpleSourceClipName);
    w = s ? s->width : 0;
    h = s ? s->height : 0;
  }
  void getProjectSize(double &w, double &h) const override { size(w, h); }
  void getProjectOffset(double &x, double &y) const override { x = y = 0; }
  void getProjectExtent(double &w, double &h) const override { size(w, h); }
  double getProjectPixelAspectRatio() const override { return 1.0; }
  double getEffectDuration() const override {
    if (quirks.no_effect_duration) return 0.0;
    Clip *s = clip(kOfxImageEffectSimpleSourceClipName);
    return s && s->footage ? (double)s->footage->frames.size() : 1.0;
  }
  double getFrameRate() const override { return 24.0; }
  double getFrameRecursive() const override { return time; }
  void getRenderScaleRecursive(double &x, double &y) const override { x = y = 1.0; }

  Hs::Param::Instance *newParam(const std::string &, Hs::Param::Descriptor &d) override {
    const std::string &type = d.getType();
    if (type == kOfxParamTypeDouble) return new DoubleParam(d, this);
    if (type == kOfxParamTypeInteger) return new IntParam(d, this);
    if (type == kOfxParamTypeBoolean) return new BoolParam(d, this);
    if (type == kOfxParamTypeChoice) return new ChoiceParam(d, this);
    if (type == kOfxParamTypeRGB) return new RgbParam(d, this);
    if (type == kOfxParamTypeString) return new StringParam(d, this);
    if (type == kOfxParamTypeGroup) return new Hs::Param::GroupInstance(d, this);
    if (type == kOfxParamTypePage) return new Hs::Param::PageInstance(d, this);
    return nullptr;
  }
  OfxStatus editBegin(const std::string &) override { return kOfxStatOK; }
  OfxStatus editEnd() override { return kOfxStatOK; }
  void progressStart(const std::string &, const std::string &) override {}
  void progressEnd() override {}
  bool progressUpdate(double) override { return true; }
  double timeLineGetTime() override { return time; }
  void timeLineGotoTime(double t) override { time = t; }
  void timeLineGetBounds(double &a, double &b) override {
    a = 0;
    b = getEffectDuration() - 1;
  }
};

// ---------------------------------------------------------------- host

class Host : public Ie::Host {
 public:
  explicit Host(bool temporal) {
    _properties.setStringProperty(kOfxPropName, "org.retake.hostsupport-test");
    _properties.setStringProperty(kOfxPropLabel, "Retake HostSupport test host");
    _properties.setIntProperty(kOfxImageEffectPropTemporalClipAccess, temporal ? 1 : 0);
    _properties.setIntProperty(kOfxImageEffectPropSupportsTiles, 0);
    _properties.setIntProperty(kOfxImageEffectPropSupportsMultiResolution, 0);
    _properties.setIntProperty(kOfxImageEffectPropSupportsOverlays, 0);
    const char *contexts[] = {kOfxImageEffectContextFilter, kOfxImageEffectContextGeneral};
    for (int i = 0; i < 2; ++i) _properties.setStringProperty(kOfxImageEffectPropSupportedContexts, contexts[i], i);
    const char *depths[] = {kOfxBitDepthFloat, kOfxBitDepthShort, kOfxBitDepthByte};
    for (int i = 0; i < 3; ++i) _properties.setStringProperty(kOfxImageEffectPropSupportedPixelDepths, depths[i], i);
    const char *comps[] = {kOfxImageComponentRGBA, kOfxImageComponentRGB, kOfxImageComponentAlpha};
    for (int i = 0; i < 3; ++i) _properties.setStringProperty(kOfxImageEffectPropSupportedComponents, comps[i], i);
  }

  Ie::Instance *newInstance(void *, Ie::ImageEffectPlugin *plugin, Ie::Descriptor &desc,
                            const std::string &context) override {
    return new Effect(plugin, desc, context);
  }
  Ie::Descriptor *makeDescriptor(Ie::ImageEffectPlugin *plugin) override { return new Ie::Descriptor(plugin); }
  Ie::Descriptor *makeDescriptor(const Ie::Descriptor &root, Ie::ImageEffectPlugin *plugin) override {
    return new Ie::Descriptor(root, plugin);
  }
  Ie::Descriptor *makeDescriptor(const std::string &bundlePath, Ie::ImageEffectPlugin *plugin) override {
    return new Ie::Descriptor(bundlePath, plugin);
  }
  OfxStatus vmessage(const char *kind, const char *, const char *format, va_list args) override {
    record(kind, format, args, false);
    return kOfxStatOK;
  }
  OfxStatus setPersistentMessage(const char *kind, const char *, const char *format, va_list args) override {
    record(kind, format, args, true);
    return kOfxStatOK;
  }
  OfxStatus clearPersistentMessage() override { return kOfxStatOK; }
};

Host *g_host = nullptr;
Ie::PluginCache *g_cache = nullptr;

void copy_out(const std::string &s, char *out, size_t len) {
  if (!out || len == 0) return;
  size_t n = s.size() < len - 1 ? s.size() : len - 1;
  std::memcpy(out, s.data(), n);
  out[n] = 0;
}

}  // namespace

// ---------------------------------------------------------------- C API

extern "C" {

/// Scan `plugin_path` (as OFX_PLUGIN_PATH) and load what is there. Once
/// per process; `temporal` says whether the host grants temporal access.
int retake_hs_start(const char *plugin_path, int temporal) {
  if (g_host) return 0;
  try {
    setenv("OFX_PLUGIN_PATH", plugin_path, 1);
    g_host = new Host(temporal != 0);
    g_cache = new Ie::PluginCache(*g_host);
    Hs::PluginCache *all = Hs::PluginCache::getPluginCache();
    all->setCacheVersion("retake-hostsupport-test");
    g_cache->registerInCache(*all);
    all->scanPluginFiles();
    return 0;
  } catch (...) {
    return 1;
  }
}

/// Identifiers of the effects found, one a line.
void retake_hs_plugins(char *out, size_t len) {
  std::string s;
  if (g_cache)
    for (Ie::ImageEffectPlugin *p : g_cache->getPlugins()) s += p->getIdentifier() + "\n";
  copy_out(s, out, len);
}

/// Messages since the last call ("kind\t[persistent]\ttext" lines).
void retake_hs_take_messages(char *out, size_t len) {
  std::lock_guard<std::mutex> hold(g_lock);
  copy_out(g_messages, out, len);
  g_messages.clear();
}

/// Describe (load, describe, describe in `context`) and instantiate with
/// the host behaviours in `quirks` (QUIRK_* bits); null and the status in
/// `status` if any step failed.
void *retake_hs_instance(const char *id, const char *context, int quirks, int *status) {
  *status = kOfxStatErrUnknown;
  if (!g_cache) return nullptr;
  try {
    Ie::ImageEffectPlugin *plugin = g_cache->getPluginById(id);
    if (!plugin) return nullptr;
    *status = kOfxStatErrUnsupported;
    if (!plugin->getContext(context)) return nullptr;
    Ie::Instance *raw = plugin->createInstance(context, nullptr);
    Effect *effect = dynamic_cast<Effect *>(raw);
    if (!effect) return nullptr;
    effect->quirks.unconnected_reported_connected = (quirks & QUIRK_RESOLVE) != 0;
    effect->quirks.no_clip_frame_range = (quirks & QUIRK_NO_CLIP_RANGE) != 0;
    effect->quirks.no_effect_duration = (quirks & QUIRK_NO_DURATION) != 0;
    *status = effect->createInstanceAction();
    if (*status != kOfxStatOK && *status != kOfxStatReplyDefault) {
      delete effect;
      return nullptr;
    }
    *status = kOfxStatOK;
    return effect;
  } catch (...) {
    *status = kOfxStatErrUnknown;
    return nullptr;
  }
}

void retake_hs_instance_free(void *effect) { delete static_cast<Effect *>(effect); }

/// Set a parameter: numbers, booleans 0/1, a choice's index, RGB three values.
int retake_hs_set(void *effect, const char *name, const double *values, int n) {
  Effect *e = static_cast<Effect *>(effect);
  Settable *p = dynamic_cast<Settable *>(e->getParam(name));
  if (!p) return kOfxStatErrUnknown;
  p->assign(values, n);
  return kOfxStatOK;
}

/// Options of a choice parameter, one a line.
int retake_hs_options(void *effect, const char *name, char *out, size_t len) {
  Effect *e = static_cast<Effect *>(effect);
  Hs::Param::Instance *p = e->getParam(name);
  if (!p) return kOfxStatErrUnknown;
  Hs::Property::Set &props = p->getProperties();
  std::string s;
  int n = props.getDimension(kOfxParamPropChoiceOption);
  for (int i = 0; i < n; ++i) s += props.getStringProperty(kOfxParamPropChoiceOption, i) + "\n";
  copy_out(s, out, len);
  return kOfxStatOK;
}

/// Every parameter the effect defined, as the host holds it, one a line:
/// `name<TAB>type<TAB>label<TAB>default<TAB>min<TAB>max<TAB>display min<TAB>
/// display max<TAB>animates<TAB>hint` (type as OpenFX names it; numbers
/// only where the type has them; a choice's default is its index).
int retake_hs_params(void *effect, char *out, size_t len) {
  Effect *e = static_cast<Effect *>(effect);
  std::ostringstream s;
  s.precision(17);
  for (Hs::Param::Instance *p : e->getParamList()) {
    Hs::Property::Set &props = p->getProperties();
    const std::string &type = p->getType();
    s << p->getName() << '\t' << type << '\t' << p->getLabel() << '\t';
    bool real = type == kOfxParamTypeDouble || type == kOfxParamTypeRGB;
    bool whole = type == kOfxParamTypeInteger || type == kOfxParamTypeChoice ||
                 type == kOfxParamTypeBoolean;
    if (real) s << props.getDoubleProperty(kOfxParamPropDefault);
    if (whole) s << props.getIntProperty(kOfxParamPropDefault);
    s << '\t';
    if (type == kOfxParamTypeDouble) {
      s << props.getDoubleProperty(kOfxParamPropMin) << '\t' << props.getDoubleProperty(kOfxParamPropMax)
        << '\t' << props.getDoubleProperty(kOfxParamPropDisplayMin) << '\t'
        << props.getDoubleProperty(kOfxParamPropDisplayMax);
    } else if (type == kOfxParamTypeInteger) {
      s << props.getIntProperty(kOfxParamPropMin) << '\t' << props.getIntProperty(kOfxParamPropMax) << '\t'
        << props.getIntProperty(kOfxParamPropDisplayMin) << '\t' << props.getIntProperty(kOfxParamPropDisplayMax);
    } else {
      s << "\t\t\t";
    }
    s << '\t' << props.getIntProperty(kOfxParamPropAnimates) << '\t' << p->getHint() << '\n';
  }
  copy_out(s.str(), out, len);
  return kOfxStatOK;
}

/// Connect a clip to `count` frames from `first` (float, top row first,
/// `channels` per pixel) handed out at `depth`; null data disconnects.
int retake_hs_connect(void *effect, const char *clip_name, int width, int height, int channels,
                      const char *depth, int first, int count, const float *data) {
  Effect *e = static_cast<Effect *>(effect);
  Clip *c = e->clip(clip_name);
  if (!c) return kOfxStatErrUnknown;
  if (!data) {
    c->footage.reset();
    return kOfxStatOK;
  }
  std::unique_ptr<Footage> f(new Footage);
  f->width = width;
  f->height = height;
  f->channels = channels;
  f->first = first;
  f->depth = depth;
  size_t n = (size_t)width * height * channels;
  for (int i = 0; i < count; ++i) f->frames.emplace_back(data + n * i, data + n * (i + 1));
  c->footage = std::move(f);
  c->width = width;
  c->height = height;
  // The Output (and unconnected inputs) take the Source's size and depth.
  if (std::string(clip_name) == kOfxImageEffectSimpleSourceClipName) {
    for (int i = 0; i < e->getNClips(); ++i) {
      Clip *o = dynamic_cast<Clip *>(e->getNthClip(i));
      if (o && o != c && !o->footage) {
        o->width = width;
        o->height = height;
        o->_outputDepth = depth;
      }
    }
  }
  return kOfxStatOK;
}

/// Render frame `time` as a host does (clip preferences, frames needed,
/// begin/render/end); the Output comes back as float, top row first, in
/// `out` (width x height x channels, channels written to `channels`).
int retake_hs_render(void *effect, double time, float *out, size_t out_len, int *channels) {
  Effect *e = static_cast<Effect *>(effect);
  try {
    e->time = time;
    if (!e->getClipPreferences()) return kOfxStatFailed;
    Clip *output = e->clip(kOfxImageEffectOutputClipName);
    if (!output) return kOfxStatErrUnknown;
    OfxPointD scale = {1.0, 1.0};
    Ie::RangeMap needed;
    OfxStatus st = e->getFrameNeededAction(time, needed);
    if (st != kOfxStatOK && st != kOfxStatReplyDefault) return st;
    st = e->beginRenderAction(time, time, 1.0, false, scale, true, false);
    if (st != kOfxStatOK && st != kOfxStatReplyDefault) return st;
    OfxRectI window = {0, 0, output->width, output->height};
    st = e->renderAction(time, kOfxImageFieldNone, window, scale, true, false, false);
    OfxStatus end = e->endRenderAction(time, time, 1.0, false, scale, true, false);
    if (st != kOfxStatOK) return st;
    if (end != kOfxStatOK && end != kOfxStatReplyDefault) return end;
    std::vector<float> pixels = output->read_output(*channels);
    if (pixels.size() > out_len) return kOfxStatErrMemory;
    std::memcpy(out, pixels.data(), pixels.size() * sizeof(float));
    return kOfxStatOK;
  } catch (...) {
    return kOfxStatErrUnknown;
  }
}

/// Times the plugin fetched from `clip` since the last call (up to `len`);
/// returns how many there were.
int retake_hs_take_fetched(void *effect, const char *clip_name, double *out, int len) {
  Effect *e = static_cast<Effect *>(effect);
  Clip *c = e->clip(clip_name);
  if (!c) return 0;
  std::lock_guard<std::mutex> hold(g_lock);
  int n = (int)c->fetched.size();
  for (int i = 0; i < n && i < len; ++i) out[i] = c->fetched[i];
  c->fetched.clear();
  return n;
}

/// The pixel depth the host negotiated for `clip` (after a render).
void retake_hs_clip_depth(void *effect, const char *clip_name, char *out, size_t len) {
  Effect *e = static_cast<Effect *>(effect);
  Clip *c = e->clip(clip_name);
  copy_out(c ? c->getPixelDepth() : std::string(), out, len);
}

}  // extern "C"
