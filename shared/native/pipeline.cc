#include "pipeline.h"

#include <gst/video/video.h>

#include <thread>

#include "bus-watch.h"
#include "element.h"
#include "teardown.h"

namespace gic {

std::atomic<int> Pipeline::alive{0};

Napi::Function Pipeline::Define(Napi::Env env) {
  return DefineClass(env, "Pipeline",
                     {
                         InstanceMethod<&Pipeline::Play>("play"),
                         InstanceMethod<&Pipeline::Pause>("pause"),
                         InstanceMethod<&Pipeline::Stop>("stop"),
                         InstanceMethod<&Pipeline::SendEos>("sendEOS"),
                         InstanceMethod<&Pipeline::Seek>("seek"),
                         InstanceMethod<&Pipeline::FindChild>("findChild"),
                         InstanceMethod<&Pipeline::ForceKeyUnit>("forceKeyUnit"),
                         InstanceMethod<&Pipeline::PollBus>("pollBus"),
                         InstanceAccessor<&Pipeline::Stopped>("stopped"),
                     });
}

Pipeline::Pipeline(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Pipeline>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "Pipeline needs a gst-launch description").ThrowAsJavaScriptException();
    return;
  }
  const std::string description = info[0].As<Napi::String>().Utf8Value();
  GError* error = nullptr;
  GstElement* parsed = gst_parse_launch_full(description.c_str(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &error);
  if (error || !parsed) {
    const std::string message = error ? error->message : "cannot build the pipeline";
    if (error) g_error_free(error);
    if (parsed) gst_object_unref(parsed);
    Napi::Error::New(env, message).ThrowAsJavaScriptException();
    return;
  }
  // gst_parse_launch hands a floating reference; the pipeline is ours alone.
  if (g_object_is_floating(parsed)) gst_object_ref_sink(parsed);
  if (GST_IS_PIPELINE(parsed)) {
    pipeline_ = parsed;
  } else {
    // A description of one element parses to that element alone.
    pipeline_ = GST_ELEMENT(gst_object_ref_sink(gst_pipeline_new(nullptr)));
    gst_bin_add(GST_BIN(pipeline_), parsed);
    gst_object_unref(parsed);
  }
  alive++;
  DropBusMessages(pipeline_);
}

Pipeline::~Pipeline() { Shutdown(); }

void Pipeline::Shutdown() {
  if (!pipeline_) return;
  // From the main thread's side the pipeline is gone at once; GStreamer's side goes on its own thread.
  auto* teardown = new gic::Teardown();
  teardown->pipeline = pipeline_;
  for (auto& [name, child] : children_) child.element->Detach(teardown);
  children_.clear();
  pipeline_ = nullptr;
  teardown->Start([] { alive--; });
}

Napi::Value Pipeline::SetState(const Napi::CallbackInfo& info, GstState state) {
  Napi::Env env = info.Env();
  if (!pipeline_) return Napi::String::New(env, "stopped");
  switch (gst_element_set_state(pipeline_, state)) {
    case GST_STATE_CHANGE_FAILURE:
      return Napi::String::New(env, "failure");
    case GST_STATE_CHANGE_ASYNC:
      return Napi::String::New(env, "async");
    case GST_STATE_CHANGE_NO_PREROLL:
      return Napi::String::New(env, "no-preroll");
    default:
      return Napi::String::New(env, "success");
  }
}

Napi::Value Pipeline::Play(const Napi::CallbackInfo& info) { return SetState(info, GST_STATE_PLAYING); }
Napi::Value Pipeline::Pause(const Napi::CallbackInfo& info) { return SetState(info, GST_STATE_PAUSED); }

Napi::Value Pipeline::Stop(const Napi::CallbackInfo& info) {
  Shutdown();
  return info.Env().Undefined();
}

Napi::Value Pipeline::Stopped(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), pipeline_ == nullptr);
}

Napi::Value Pipeline::SendEos(const Napi::CallbackInfo& info) {
  if (pipeline_) {
    // Sent from a thread of its own: a source whose streaming thread is stuck in a driver or a
    // blocking read holds its stream lock, and sending it an event would wait for ever.
    GstElement* pipeline = GST_ELEMENT(gst_object_ref(pipeline_));
    std::thread([pipeline] {
      gst_element_send_event(pipeline, gst_event_new_eos());
      gst_object_unref(pipeline);
    }).detach();
  }
  return info.Env().Undefined();
}

Napi::Value Pipeline::Seek(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "seek needs a position and a timeout (ms)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!pipeline_) return Napi::Boolean::New(env, false);
  const double positionMs = info[0].As<Napi::Number>().DoubleValue();
  const double timeoutMs = info[1].As<Napi::Number>().DoubleValue();
  if (!(positionMs >= 0) || !(timeoutMs >= 0)) {
    Napi::RangeError::New(env, "seek needs a position and a timeout of 0 ms or more").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const gint64 position = static_cast<gint64>(positionMs * GST_MSECOND);
  const GstClockTime timeout = static_cast<GstClockTime>(timeoutMs * GST_MSECOND);
  // Waiting for the preroll (a source reading from the network) and the flushing seek both block:
  // they run on a thread of their own, which reports on the bus as an application message.
  GstElement* pipeline = GST_ELEMENT(gst_object_ref(pipeline_));
  std::thread([pipeline, position, timeout] {
    GstState state = GST_STATE_VOID_PENDING;
    const GstStateChangeReturn ret = gst_element_get_state(pipeline, &state, nullptr, timeout);
    const char* reason = nullptr;
    if (ret == GST_STATE_CHANGE_FAILURE) {
      reason = "the pipeline did not start";
    } else if (ret == GST_STATE_CHANGE_ASYNC) {
      reason = "the pipeline did not preroll in time";
    } else if (ret == GST_STATE_CHANGE_NO_PREROLL || state < GST_STATE_PAUSED) {
      reason = "the pipeline is not paused on a picture";
    } else if (!gst_element_seek_simple(pipeline, GST_FORMAT_TIME,
                                        static_cast<GstSeekFlags>(GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE),
                                        position)) {
      reason = "the stream cannot seek";
    }
    GstStructure* done = gst_structure_new("gic-seek", "ok", G_TYPE_BOOLEAN, reason == nullptr, "reason",
                                           G_TYPE_STRING, reason ? reason : "", nullptr);
    gst_element_post_message(pipeline, gst_message_new_application(GST_OBJECT(pipeline), done));
    gst_object_unref(pipeline);
  }).detach();
  return Napi::Boolean::New(env, true);
}

Napi::Value Pipeline::FindChild(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!pipeline_ || info.Length() < 1 || !info[0].IsString()) return env.Undefined();
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  auto found = children_.find(name);
  if (found != children_.end()) return found->second.wrapper.Value();
  GstElement* element = gst_bin_get_by_name(GST_BIN(pipeline_), name.c_str());
  if (!element) return env.Undefined();
  Napi::Object wrapper = Element::New(env, element);
  if (env.IsExceptionPending()) return env.Undefined();
  children_[name] = Child{Napi::Persistent(wrapper), Element::Unwrap(wrapper)};
  return wrapper;
}

Napi::Value Pipeline::ForceKeyUnit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!pipeline_ || info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) {
    return Napi::Boolean::New(env, false);
  }
  GstElement* element = gst_bin_get_by_name(GST_BIN(pipeline_), info[0].As<Napi::String>().Utf8Value().c_str());
  if (!element) return Napi::Boolean::New(env, false);
  GstPad* pad = gst_element_get_static_pad(element, "sink");
  gboolean sent = FALSE;
  if (pad) {
    sent = gst_pad_push_event(
        pad, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, info[1].As<Napi::Number>().Uint32Value()));
    gst_object_unref(pad);
  }
  gst_object_unref(element);
  return Napi::Boolean::New(env, sent);
}

Napi::Value Pipeline::PollBus(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    Napi::TypeError::New(env, "pollBus needs a callback").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (pipeline_) WatchBus(env, pipeline_, info[0].As<Napi::Function>());
  return env.Undefined();
}

}  // namespace gic
