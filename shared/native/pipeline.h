// A GStreamer pipeline from a gst-launch description, owned by its JavaScript object.
#pragma once
#include <gst/gst.h>
#include <napi.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sink-state.h"

namespace gic {

struct DeltaGate;

class Pipeline : public Napi::ObjectWrap<Pipeline> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Pipeline(const Napi::CallbackInfo& info);
  ~Pipeline() override;

  /** Pipelines built and not yet torn down, for leak checks. */
  static std::atomic<int> alive;

 private:
  Napi::Value Play(const Napi::CallbackInfo& info);
  Napi::Value Pause(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value SendEos(const Napi::CallbackInfo& info);
  Napi::Value Seek(const Napi::CallbackInfo& info);
  Napi::Value FindChild(const Napi::CallbackInfo& info);
  Napi::Value ForceKeyUnit(const Napi::CallbackInfo& info);
  Napi::Value PollBus(const Napi::CallbackInfo& info);
  Napi::Value Stopped(const Napi::CallbackInfo& info);
  Napi::Value SkipDeltaUnits(const Napi::CallbackInfo& info);
  Napi::Value KeyFrameIntervalMs(const Napi::CallbackInfo& info);
  Napi::Value SetState(const Napi::CallbackInfo& info, GstState state);
  void Shutdown();

  GstElement* pipeline_ = nullptr;
  /** The key-unit gate (gateDeltaUnits), shared with the decoders' probes; null without one. */
  std::shared_ptr<DeltaGate> deltaGate_;
  struct Child {
    Napi::ObjectReference wrapper;  // holds the JS object, so `element` stays valid
    class Element* element;
  };
  std::map<std::string, Child> children_;
};

}  // namespace gic
