#include "element.h"

#include <gst/app/gstappsrc.h>

#include <cstring>
#include <string>
#include <vector>

#include "addon.h"
#include "gvalue-js.h"
#include "teardown.h"

namespace gic {

std::atomic<int> Element::alive{0};

Napi::Function Element::Define(Napi::Env env) {
  return DefineClass(env, "GstElement",
                     {InstanceMethod<&Element::Pull>("pull"), InstanceMethod<&Element::Push>("push")});
}

Napi::Object Element::New(Napi::Env env, GstElement* element) {
  return AddonData::Of(env)->element.New({Napi::External<GstElement>::New(env, element)});
}

Element::Element(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Element>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsExternal()) {
    Napi::TypeError::New(env, "elements come from Pipeline.findChild").ThrowAsJavaScriptException();
    return;
  }
  element_ = info[0].As<Napi::External<GstElement>>().Data();
  alive++;
  if (GST_IS_APP_SINK(element_)) sink_ = SinkState::Attach(env, GST_APP_SINK(element_));
  // Every GObject property becomes a JS accessor (names are interned, so they outlive the object).
  guint count = 0;
  GParamSpec** specs = g_object_class_list_properties(G_OBJECT_GET_CLASS(element_), &count);
  std::vector<napi_property_descriptor> descriptors;
  for (guint i = 0; i < count; i++) {
    const char* name = g_intern_string(specs[i]->name);
    if (std::strcmp(name, "pull") == 0 || std::strcmp(name, "push") == 0) continue;
    descriptors.push_back({name, nullptr, nullptr, GetProperty, SetProperty, nullptr, napi_enumerable,
                           const_cast<char*>(name)});
  }
  g_free(specs);
  napi_define_properties(env, info.This(), descriptors.size(), descriptors.data());
}

// Only when the addon unloads: while its pipeline lives, the pipeline holds this object.
Element::~Element() { Detach(nullptr); }

void Element::Detach(Teardown* teardown) {
  if (sink_) sink_->Stop(teardown);
  if (element_) {
    if (teardown) {
      teardown->elements.push_back(element_);
    } else {
      gst_object_unref(element_);
    }
    element_ = nullptr;
    alive--;
  }
}

static Element* Receiver(napi_env env, napi_callback_info info, size_t* argc, napi_value* argv, const char** name) {
  napi_value self;
  void* data;
  napi_get_cb_info(env, info, argc, argv, &self, &data);
  *name = static_cast<const char*>(data);
  return Element::Unwrap(Napi::Object(env, self));
}

napi_value Element::GetProperty(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  const char* name;
  Element* self = Receiver(env, info, &argc, nullptr, &name);
  Napi::Env e(env);
  if (!self || !self->element_) return e.Undefined();
  GParamSpec* spec = g_object_class_find_property(G_OBJECT_GET_CLASS(self->element_), name);
  if (!spec || !(spec->flags & G_PARAM_READABLE)) return e.Undefined();
  GValue value = G_VALUE_INIT;
  g_value_init(&value, G_PARAM_SPEC_VALUE_TYPE(spec));
  g_object_get_property(G_OBJECT(self->element_), name, &value);
  Napi::Value result = GValueToJs(e, &value);
  g_value_unset(&value);
  return result;
}

napi_value Element::SetProperty(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  const char* name;
  Element* self = Receiver(env, info, &argc, argv, &name);
  Napi::Env e(env);
  if (!self || !self->element_) {
    Napi::Error::New(e, std::string(name) + " cannot be set: the pipeline is stopped").ThrowAsJavaScriptException();
    return e.Undefined();
  }
  GParamSpec* spec = g_object_class_find_property(G_OBJECT_GET_CLASS(self->element_), name);
  const std::string where = std::string(GST_OBJECT_NAME(self->element_)) + "." + name;
  if (!spec || !(spec->flags & G_PARAM_WRITABLE)) {
    Napi::TypeError::New(e, where + " cannot be set").ThrowAsJavaScriptException();
    return e.Undefined();
  }
  GValue value = G_VALUE_INIT;
  std::string error;
  if (!JsToGValue(Napi::Value(env, argv[0]), spec, &value, &error)) {
    Napi::TypeError::New(e, where + ": " + error).ThrowAsJavaScriptException();
    return e.Undefined();
  }
  g_object_set_property(G_OBJECT(self->element_), name, &value);
  g_value_unset(&value);
  return e.Undefined();
}

Napi::Value Element::Pull(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!sink_) {
    Napi::TypeError::New(env, "this element is not an appsink")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (info.Length() < 1 || !info[0].IsFunction()) {
    Napi::TypeError::New(env, "pull needs a callback").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Buffer<uint8_t> into;
  if (info.Length() >= 2 && !info[1].IsUndefined()) {
    if (!info[1].IsBuffer()) {
      Napi::TypeError::New(env, "pull's second argument must be a Buffer to fill")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    into = info[1].As<Napi::Buffer<uint8_t>>();
  }
  return Napi::Boolean::New(env, sink_->Pull(env, info[0].As<Napi::Function>(), into));
}

// pts: nanoseconds as a number or bigint, or (as gstreamer-superficial took it) 8 bytes big-endian.
static bool ReadPts(const Napi::Value& value, GstClockTime* pts) {
  if (value.IsNumber()) {
    *pts = static_cast<GstClockTime>(value.As<Napi::Number>().Int64Value());
  } else if (value.IsBigInt()) {
    bool lossless;
    *pts = value.As<Napi::BigInt>().Uint64Value(&lossless);
  } else if (value.IsBuffer() && value.As<Napi::Buffer<uint8_t>>().Length() >= 8) {
    *pts = GST_READ_UINT64_BE(value.As<Napi::Buffer<uint8_t>>().Data());
  } else {
    return false;
  }
  return true;
}

Napi::Value Element::Push(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!element_) return Napi::String::New(env, gst_flow_get_name(GST_FLOW_FLUSHING));
  if (!GST_IS_APP_SRC(element_)) {
    Napi::TypeError::New(env, std::string(GST_OBJECT_NAME(element_)) + " is not an appsrc")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (info.Length() < 1 || !info[0].IsBuffer()) {
    Napi::TypeError::New(env, "push needs a Buffer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto data = info[0].As<Napi::Buffer<uint8_t>>();
  GstBuffer* buffer = gst_buffer_new_allocate(nullptr, data.Length(), nullptr);
  gst_buffer_fill(buffer, 0, data.Data(), data.Length());
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    GstClockTime pts;
    if (!ReadPts(info[1], &pts)) {
      gst_buffer_unref(buffer);
      Napi::TypeError::New(env, "pts must be nanoseconds (number or bigint)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    GST_BUFFER_PTS(buffer) = pts;
  }
  GstFlowReturn flow = gst_app_src_push_buffer(GST_APP_SRC(element_), buffer);
  return Napi::String::New(env, gst_flow_get_name(flow));
}

}  // namespace gic
