/* The OpenFX entry points that are C-variadic, for Retake's test host.
 * Each one reads its variable arguments (as many as the parameter's type
 * has dimensions, or a printf-style message) and hands them, fixed, to
 * callbacks the Rust host registers. Nothing else lives here. */
#include <stdarg.h>
#include <stdio.h>

typedef int OfxStatus;

enum {
    KIND_INT = 1,     /* integer, boolean, choice: one int */
    KIND_DOUBLE = 2,  /* one double */
    KIND_DOUBLE2 = 3,
    KIND_DOUBLE3 = 4, /* RGB */
    KIND_DOUBLE4 = 5, /* RGBA */
    KIND_STRING = 6,  /* one const char * */
};

struct retake_host_callbacks {
    int (*param_kind)(void *param);
    OfxStatus (*param_get)(void *param, double time, int at_time, void **out, int n);
    OfxStatus (*param_set)(void *param, double time, int at_time, const double *values, int n,
                           const char *text);
    OfxStatus (*message)(void *handle, const char *type, const char *id, const char *text,
                         int persistent);
};

static struct retake_host_callbacks callbacks;

void retake_host_set_callbacks(const struct retake_host_callbacks *c) { callbacks = *c; }

static int arity(int kind) {
    switch (kind) {
    case KIND_DOUBLE2: return 2;
    case KIND_DOUBLE3: return 3;
    case KIND_DOUBLE4: return 4;
    default: return 1;
    }
}

static OfxStatus get_values(void *param, double time, int at_time, va_list ap) {
    int kind = callbacks.param_kind ? callbacks.param_kind(param) : 0;
    if (kind <= 0) return 9; /* bad handle */
    void *out[4] = {0, 0, 0, 0};
    int n = arity(kind);
    for (int i = 0; i < n; i++) out[i] = va_arg(ap, void *);
    return callbacks.param_get(param, time, at_time, out, n);
}

static OfxStatus set_values(void *param, double time, int at_time, va_list ap) {
    int kind = callbacks.param_kind ? callbacks.param_kind(param) : 0;
    if (kind <= 0) return 9;
    double values[4] = {0, 0, 0, 0};
    const char *text = 0;
    int n = arity(kind);
    if (kind == KIND_STRING) {
        text = va_arg(ap, const char *);
    } else if (kind == KIND_INT) {
        values[0] = (double)va_arg(ap, int);
    } else {
        for (int i = 0; i < n; i++) values[i] = va_arg(ap, double);
    }
    return callbacks.param_set(param, time, at_time, values, n, text);
}

OfxStatus retake_host_param_get_value(void *param, ...) {
    va_list ap;
    va_start(ap, param);
    OfxStatus s = get_values(param, 0.0, 0, ap);
    va_end(ap);
    return s;
}

OfxStatus retake_host_param_get_value_at_time(void *param, double time, ...) {
    va_list ap;
    va_start(ap, time);
    OfxStatus s = get_values(param, time, 1, ap);
    va_end(ap);
    return s;
}

OfxStatus retake_host_param_set_value(void *param, ...) {
    va_list ap;
    va_start(ap, param);
    OfxStatus s = set_values(param, 0.0, 0, ap);
    va_end(ap);
    return s;
}

OfxStatus retake_host_param_set_value_at_time(void *param, double time, ...) {
    va_list ap;
    va_start(ap, time);
    OfxStatus s = set_values(param, time, 1, ap);
    va_end(ap);
    return s;
}

/* Derivatives and integrals are not offered by this host. */
OfxStatus retake_host_param_get_derivative(void *param, double time, ...) {
    (void)param; (void)time;
    return 5;
}

OfxStatus retake_host_param_get_integral(void *param, double t1, double t2, ...) {
    (void)param; (void)t1; (void)t2;
    return 5;
}

static OfxStatus format_message(void *handle, const char *type, const char *id, const char *format,
                                va_list ap, int persistent) {
    char text[4096];
    vsnprintf(text, sizeof text, format ? format : "", ap);
    return callbacks.message ? callbacks.message(handle, type, id, text, persistent) : 1;
}

OfxStatus retake_host_message(void *handle, const char *type, const char *id, const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    OfxStatus s = format_message(handle, type, id, format, ap, 0);
    va_end(ap);
    return s;
}

OfxStatus retake_host_set_persistent_message(void *handle, const char *type, const char *id,
                                             const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    OfxStatus s = format_message(handle, type, id, format, ap, 1);
    va_end(ap);
    return s;
}
