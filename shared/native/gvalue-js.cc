#include "gvalue-js.h"

namespace gic {

Napi::Value GValueToJs(Napi::Env env, const GValue* value) {
  switch (G_VALUE_TYPE(value)) {
    case G_TYPE_BOOLEAN:
      return Napi::Boolean::New(env, g_value_get_boolean(value));
    case G_TYPE_INT:
      return Napi::Number::New(env, g_value_get_int(value));
    case G_TYPE_UINT:
      return Napi::Number::New(env, g_value_get_uint(value));
    case G_TYPE_LONG:
      return Napi::Number::New(env, static_cast<double>(g_value_get_long(value)));
    case G_TYPE_ULONG:
      return Napi::Number::New(env, static_cast<double>(g_value_get_ulong(value)));
    case G_TYPE_INT64:
      return Napi::Number::New(env, static_cast<double>(g_value_get_int64(value)));
    case G_TYPE_UINT64:
      return Napi::Number::New(env, static_cast<double>(g_value_get_uint64(value)));
    case G_TYPE_FLOAT:
      return Napi::Number::New(env, g_value_get_float(value));
    case G_TYPE_DOUBLE:
      return Napi::Number::New(env, g_value_get_double(value));
    case G_TYPE_STRING: {
      const char* s = g_value_get_string(value);
      return s ? Napi::String::New(env, s) : env.Null();
    }
    default:
      break;
  }
  if (G_VALUE_HOLDS_ENUM(value)) {
    GEnumValue* e = g_enum_get_value(static_cast<GEnumClass*>(g_type_class_peek(G_VALUE_TYPE(value))),
                                     g_value_get_enum(value));
    if (e) return Napi::String::New(env, e->value_nick);
  }
  if (GST_VALUE_HOLDS_STRUCTURE(value)) {
    Napi::Object o = Napi::Object::New(env);
    const GstStructure* s = gst_value_get_structure(value);
    if (s) StructureToJs(env, s, o);
    return o;
  }
  // Fractions ("30/1"), caps, flags, arrays and the rest: GStreamer's own text for them.
  gchar* text = gst_value_serialize(value);
  if (text) {
    Napi::String s = Napi::String::New(env, text);
    g_free(text);
    return s;
  }
  return env.Undefined();
}

void StructureToJs(Napi::Env env, const GstStructure* structure, Napi::Object target) {
  target.Set("name", gst_structure_get_name(structure));
  const gint n = gst_structure_n_fields(structure);
  for (gint i = 0; i < n; i++) {
    const gchar* field = gst_structure_nth_field_name(structure, i);
    target.Set(field, GValueToJs(env, gst_structure_get_value(structure, field)));
  }
}

static bool Transform(GValue* from, GParamSpec* spec, GValue* out, std::string* error) {
  g_value_init(out, G_PARAM_SPEC_VALUE_TYPE(spec));
  if (g_value_transform(from, out)) return true;
  g_value_unset(out);
  *error = std::string("cannot convert to ") + g_type_name(G_PARAM_SPEC_VALUE_TYPE(spec));
  return false;
}

bool JsToGValue(const Napi::Value& js, GParamSpec* spec, GValue* out, std::string* error) {
  GValue from = G_VALUE_INIT;
  bool ok = false;
  if (js.IsBoolean()) {
    g_value_init(&from, G_TYPE_BOOLEAN);
    g_value_set_boolean(&from, js.As<Napi::Boolean>().Value());
    ok = Transform(&from, spec, out, error);
  } else if (js.IsNumber()) {
    const double d = js.As<Napi::Number>().DoubleValue();
    // Whole numbers go as 64-bit integers, so that large unsigned values (bytes, ns) survive.
    if (d == static_cast<double>(static_cast<gint64>(d)) && G_PARAM_SPEC_VALUE_TYPE(spec) != G_TYPE_DOUBLE &&
        G_PARAM_SPEC_VALUE_TYPE(spec) != G_TYPE_FLOAT) {
      g_value_init(&from, G_TYPE_INT64);
      g_value_set_int64(&from, static_cast<gint64>(d));
    } else {
      g_value_init(&from, G_TYPE_DOUBLE);
      g_value_set_double(&from, d);
    }
    ok = Transform(&from, spec, out, error);
  } else if (js.IsString()) {
    const std::string text = js.As<Napi::String>().Utf8Value();
    g_value_init(out, G_PARAM_SPEC_VALUE_TYPE(spec));
    if (G_PARAM_SPEC_VALUE_TYPE(spec) == G_TYPE_STRING) {
      g_value_set_string(out, text.c_str());
      ok = true;
    } else if (gst_value_deserialize(out, text.c_str())) {
      ok = true;
    } else {
      g_value_unset(out);
      *error = "\"" + text + "\" is not a valid " + g_type_name(G_PARAM_SPEC_VALUE_TYPE(spec));
    }
  } else if (js.IsNull() && G_PARAM_SPEC_VALUE_TYPE(spec) == G_TYPE_STRING) {
    g_value_init(out, G_TYPE_STRING);
    g_value_set_string(out, nullptr);
    ok = true;
  } else {
    *error = "only booleans, numbers and strings can be set";
  }
  if (G_IS_VALUE(&from)) g_value_unset(&from);
  return ok;
}

}  // namespace gic
