// One element of a pipeline, as JavaScript sees it: its GObject properties as JS properties, and
// pull (appsink) or push (appsrc).
#pragma once
#include <gst/gst.h>
#include <napi.h>

#include <atomic>
#include <memory>

#include "sink-state.h"

namespace gic {

class Element : public Napi::ObjectWrap<Element> {
 public:
  static Napi::Function Define(Napi::Env env);
  /** Wraps `element` (takes over the caller's reference). */
  static Napi::Object New(Napi::Env env, GstElement* element);

  explicit Element(const Napi::CallbackInfo& info);
  ~Element() override;

  /** The pipeline is stopping: the element's references go to `teardown` (see SinkState::Stop). */
  void Detach(struct Teardown* teardown);

  static std::atomic<int> alive;

 private:
  Napi::Value Pull(const Napi::CallbackInfo& info);
  Napi::Value Push(const Napi::CallbackInfo& info);
  static napi_value GetProperty(napi_env env, napi_callback_info info);
  static napi_value SetProperty(napi_env env, napi_callback_info info);

  GstElement* element_ = nullptr;
  std::shared_ptr<SinkState> sink_;
};

}  // namespace gic
