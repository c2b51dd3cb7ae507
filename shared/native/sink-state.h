// An appsink's samples, pulled on the main thread when GStreamer says one is ready.
#pragma once
#include <gst/app/gstappsink.h>
#include <napi.h>

#include <atomic>
#include <memory>

namespace gic {

/**
 * `pull(cb)` for one appsink without a waiting thread: the appsink's callbacks (on GStreamer's
 * streaming thread) only nudge a thread-safe function; the main thread then takes the sample with a
 * non-blocking pull. While nobody pulls, samples wait in the appsink, which applies its own
 * back-pressure (max-buffers, drop).
 */
class SinkState {
 public:
  /** Attaches to `sink` (its callbacks become ours); the state lives until detached and unused. */
  static std::shared_ptr<SinkState> Attach(Napi::Env env, GstAppSink* sink);
  ~SinkState();

  /**
   * Calls `callback(buffer, caps)` with the next sample, or `callback(null)` at end of stream or once
   * stopped, always asynchronously. The sample is copied into `into` (and `into` is the buffer the
   * callback gets) when it is given and the sample's size is its length; otherwise into a new
   * buffer. Returns false (nothing scheduled) once the sink is stopped; throws if a pull is already
   * waiting.
   */
  bool Pull(Napi::Env env, Napi::Function callback, Napi::Buffer<uint8_t> into);

  /**
   * The pipeline is stopping: a waiting pull (and any later one) gets null. The appsink reference
   * goes to `teardown`, which removes our callbacks once the streaming threads are down; without one
   * (the addon is unloading) that happens here.
   */
  void Stop(struct Teardown* teardown);

  /** Appsinks attached and not yet finalised, for leak checks. */
  static std::atomic<int> alive;

 private:
  explicit SinkState(GstAppSink* sink);
  static void CallJs(napi_env env, napi_value, void* context, void*);
  static void Finalize(napi_env env, void* data, void*);
  void Nudge();
  void Deliver(Napi::Env env);
  Napi::Value CapsToJs(Napi::Env env, GstSample* sample);

  GstAppSink* sink_;
  napi_threadsafe_function tsfn_ = nullptr;
  Napi::FunctionReference pending_;
  /** The waiting pull's buffer to fill, if it gave one. */
  Napi::Reference<Napi::Buffer<uint8_t>> pending_into_;
  bool stopped_ = false;
  GstCaps* last_caps_ = nullptr;
  Napi::ObjectReference last_caps_js_;
};

}  // namespace gic
