// A small C face over OpenColorIO's C++ API, so Rust can call it without
// bindgen. Every entry catches every exception: a C++ exception must never
// unwind into Rust. Fallible entries return 0 on success and otherwise copy
// OpenColorIO's message into `err`.

#include <OpenColorIO/OpenColorIO.h>

#include <cstddef>
#include <cstring>
#include <exception>

namespace OCIO = OCIO_NAMESPACE;

struct RtkOcioConfig {
    OCIO::ConstConfigRcPtr config;
};

struct RtkOcioProcessor {
    OCIO::ConstCPUProcessorRcPtr cpu;
};

namespace {

void put_error(char *err, size_t len, const char *msg) {
    if (err == nullptr || len == 0) {
        return;
    }
    std::strncpy(err, msg, len - 1);
    err[len - 1] = '\0';
}

template <typename F> int guarded(char *err, size_t len, F body) {
    try {
        body();
        return 0;
    } catch (const std::exception &e) {
        put_error(err, len, e.what());
    } catch (...) {
        put_error(err, len, "unknown OpenColorIO error");
    }
    return 1;
}

// Float in, float out, OpenColorIO's default optimisation: what its own
// tools and Python bindings use, so results compare one to one.
void make_processor(OCIO::ConstProcessorRcPtr proc, RtkOcioProcessor **out) {
    *out = new RtkOcioProcessor{proc->getDefaultCPUProcessor()};
}

} // namespace

extern "C" {

const char *rtk_ocio_version(void) { return OCIO::GetVersion(); }

// OpenColorIO prints its messages (e.g. a config's validation warnings) to
// stderr; send them to `log` instead, so they follow Retake's -q/-v.
void rtk_ocio_set_logger(void (*log)(const char *)) {
    try {
        OCIO::SetLoggingFunction([log](const char *msg) { log(msg); });
    } catch (...) {
    }
}

int rtk_ocio_config_open(const char *path, RtkOcioConfig **out, char *err,
                         size_t len) {
    return guarded(err, len, [&] {
        OCIO::ConstConfigRcPtr config = OCIO::Config::CreateFromFile(path);
        config->validate();
        *out = new RtkOcioConfig{config};
    });
}

void rtk_ocio_config_free(RtkOcioConfig *c) { delete c; }

// What `rtk_ocio_count` and `rtk_ocio_name` list.
enum RtkOcioList {
    RTK_ACTIVE_SPACES = 0,
    RTK_ALL_SPACES = 1,
    RTK_ROLES = 2,
    RTK_DISPLAYS = 3,
};

int rtk_ocio_count(const RtkOcioConfig *c, int list) {
    try {
        const OCIO::ConstConfigRcPtr &cfg = c->config;
        switch (list) {
        case RTK_ACTIVE_SPACES:
            return cfg->getNumColorSpaces(OCIO::SEARCH_REFERENCE_SPACE_ALL,
                                          OCIO::COLORSPACE_ACTIVE);
        case RTK_ALL_SPACES:
            return cfg->getNumColorSpaces(OCIO::SEARCH_REFERENCE_SPACE_ALL,
                                          OCIO::COLORSPACE_ALL);
        case RTK_ROLES:
            return cfg->getNumRoles();
        case RTK_DISPLAYS:
            return cfg->getNumDisplays();
        }
    } catch (...) {
    }
    return 0;
}

// Names stay owned by the config; the caller copies them at once.
const char *rtk_ocio_name(const RtkOcioConfig *c, int list, int index) {
    try {
        const OCIO::ConstConfigRcPtr &cfg = c->config;
        switch (list) {
        case RTK_ACTIVE_SPACES:
            return cfg->getColorSpaceNameByIndex(
                OCIO::SEARCH_REFERENCE_SPACE_ALL, OCIO::COLORSPACE_ACTIVE,
                index);
        case RTK_ALL_SPACES:
            return cfg->getColorSpaceNameByIndex(
                OCIO::SEARCH_REFERENCE_SPACE_ALL, OCIO::COLORSPACE_ALL, index);
        case RTK_ROLES:
            return cfg->getRoleName(index);
        case RTK_DISPLAYS:
            return cfg->getDisplay(index);
        }
    } catch (...) {
    }
    return nullptr;
}

int rtk_ocio_view_count(const RtkOcioConfig *c, const char *display) {
    try {
        return c->config->getNumViews(display);
    } catch (...) {
        return 0;
    }
}

const char *rtk_ocio_view_name(const RtkOcioConfig *c, const char *display,
                               int index) {
    try {
        return c->config->getView(display, index);
    } catch (...) {
        return nullptr;
    }
}

const char *rtk_ocio_default_view(const RtkOcioConfig *c,
                                  const char *display) {
    try {
        return c->config->getDefaultView(display);
    } catch (...) {
        return nullptr;
    }
}

// The colour space a name, alias or role refers to; NULL when none.
const char *rtk_ocio_space_of(const RtkOcioConfig *c, const char *name) {
    try {
        OCIO::ConstColorSpaceRcPtr cs = c->config->getColorSpace(name);
        return cs ? cs->getName() : nullptr;
    } catch (...) {
        return nullptr;
    }
}

int rtk_ocio_processor_spaces(const RtkOcioConfig *c, const char *src,
                              const char *dst, RtkOcioProcessor **out,
                              char *err, size_t len) {
    return guarded(err, len, [&] {
        make_processor(c->config->getProcessor(src, dst), out);
    });
}

int rtk_ocio_processor_display(const RtkOcioConfig *c, const char *src,
                               const char *display, const char *view,
                               int inverse, RtkOcioProcessor **out, char *err,
                               size_t len) {
    return guarded(err, len, [&] {
        OCIO::DisplayViewTransformRcPtr t = OCIO::DisplayViewTransform::Create();
        t->setSrc(src);
        t->setDisplay(display);
        t->setView(view);
        t->setDirection(inverse ? OCIO::TRANSFORM_DIR_INVERSE
                                : OCIO::TRANSFORM_DIR_FORWARD);
        make_processor(c->config->getProcessor(t), out);
    });
}

int rtk_ocio_processor_is_noop(const RtkOcioProcessor *p) {
    try {
        return p->cpu->isNoOp() ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

// Converts `pixels` interleaved float pixels of 3 (RGB) or 4 (RGBA, alpha
// kept) channels in place.
int rtk_ocio_apply(const RtkOcioProcessor *p, float *data, long pixels,
                   int channels, char *err, size_t len) {
    return guarded(err, len, [&] {
        OCIO::PackedImageDesc img(data, pixels, 1, channels);
        p->cpu->apply(img);
    });
}

void rtk_ocio_processor_free(RtkOcioProcessor *p) { delete p; }

} // extern "C"
