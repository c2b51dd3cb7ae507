// Conversions between GLib/GStreamer values and JavaScript values (main thread only).
#pragma once
#include <gst/gst.h>
#include <napi.h>
#include <string>

namespace gic {

/** A GValue as JavaScript: booleans, numbers and strings as such, anything else serialised. */
Napi::Value GValueToJs(Napi::Env env, const GValue* value);

/** A structure's fields on `target`, plus its name as `name`. */
void StructureToJs(Napi::Env env, const GstStructure* structure, Napi::Object target);

/**
 * Fills `out` (uninitialised) with `js` converted to the type of `spec`: numbers and booleans by
 * GLib's own transforms, strings by GStreamer's deserialiser (enums by nick, caps, fractions...).
 * Returns false with a reason in `error` when the value does not fit.
 */
bool JsToGValue(const Napi::Value& js, GParamSpec* spec, GValue* out, std::string* error);

}  // namespace gic
