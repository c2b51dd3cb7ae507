#include "sink-state.h"

#include <cstring>

#include "gvalue-js.h"
#include "teardown.h"

namespace gic {

std::atomic<int> SinkState::alive{0};

namespace {

void NudgeFromGst(GstAppSink*, gpointer data);
GstFlowReturn OnSample(GstAppSink* sink, gpointer data) {
  NudgeFromGst(sink, data);
  return GST_FLOW_OK;
}
struct Nudger {
  napi_threadsafe_function tsfn;
};
void NudgeFromGst(GstAppSink*, gpointer data) {
  napi_call_threadsafe_function(static_cast<Nudger*>(data)->tsfn, nullptr, napi_tsfn_nonblocking);
}
// GStreamer calls this once its callbacks are replaced and none is running any more.
void OnDetached(gpointer data) {
  auto* nudger = static_cast<Nudger*>(data);
  napi_release_threadsafe_function(nudger->tsfn, napi_tsfn_release);
  delete nudger;
}

}  // namespace

SinkState::SinkState(GstAppSink* sink) : sink_(GST_APP_SINK(gst_object_ref(sink))) { alive++; }

SinkState::~SinkState() {
  if (last_caps_) gst_caps_unref(last_caps_);
  if (sink_) gst_object_unref(sink_);
  alive--;
}

std::shared_ptr<SinkState> SinkState::Attach(Napi::Env env, GstAppSink* sink) {
  std::shared_ptr<SinkState> state(new SinkState(sink));
  // The thread-safe function's context keeps the state alive until every queued nudge has run.
  auto* context = new std::shared_ptr<SinkState>(state);
  napi_status status = napi_create_threadsafe_function(env, nullptr, nullptr,
                                                       Napi::String::New(env, "gic-gst.appsink"), 0, 1,
                                                       context, Finalize, context, CallJs, &state->tsfn_);
  if (status != napi_ok) {
    delete context;
    Napi::Error::New(env, "cannot create the appsink's thread-safe function").ThrowAsJavaScriptException();
    return nullptr;
  }
  // An idle appsink does not keep the process alive; a waiting pull does (see Pull).
  napi_unref_threadsafe_function(env, state->tsfn_);
  GstAppSinkCallbacks callbacks = {};
  callbacks.eos = NudgeFromGst;
  callbacks.new_sample = OnSample;
  gst_app_sink_set_callbacks(sink, &callbacks, new Nudger{state->tsfn_}, OnDetached);
  return state;
}

void SinkState::Finalize(napi_env, void* data, void*) { delete static_cast<std::shared_ptr<SinkState>*>(data); }

void SinkState::CallJs(napi_env env, napi_value, void* context, void*) {
  if (env == nullptr) return;
  (*static_cast<std::shared_ptr<SinkState>*>(context))->Deliver(Napi::Env(env));
}

void SinkState::Nudge() {
  if (tsfn_) napi_call_threadsafe_function(tsfn_, nullptr, napi_tsfn_nonblocking);
}

bool SinkState::Pull(Napi::Env env, Napi::Function callback, Napi::Buffer<uint8_t> into) {
  if (!pending_.IsEmpty()) {
    Napi::Error::New(env, "this appsink already has a pull waiting").ThrowAsJavaScriptException();
    return false;
  }
  if (stopped_) {
    // Nothing will come: null, asynchronously as always.
    env.Global().Get("setImmediate").As<Napi::Function>().Call({callback, env.Null()});
    return false;
  }
  pending_ = Napi::Persistent(callback);
  if (!into.IsEmpty()) pending_into_ = Napi::Persistent(into);
  napi_ref_threadsafe_function(env, tsfn_);
  Nudge();  // a sample may already be waiting
  return true;
}

void SinkState::Stop(Teardown* teardown) {
  if (stopped_) return;
  stopped_ = true;
  Nudge();  // a waiting pull gets null; from here on the main thread never touches sink_
  tsfn_ = nullptr;
  if (teardown) {
    teardown->sinks.push_back(sink_);
  } else {
    GstAppSinkCallbacks none = {};
    gst_app_sink_set_callbacks(sink_, &none, nullptr, nullptr);
    gst_object_unref(sink_);
  }
  // An element keeps its pipeline's bus (and the bus its sockets) until it is let go of: now, not
  // whenever the garbage collector gets to this object.
  sink_ = nullptr;
}

void SinkState::Deliver(Napi::Env env) {
  if (pending_.IsEmpty()) return;
  GstSample* sample = stopped_ ? nullptr : gst_app_sink_try_pull_sample(sink_, 0);
  // Neither a sample nor the end yet: keep waiting for the next nudge.
  if (!sample && !stopped_ && !gst_app_sink_is_eos(sink_)) return;
  Napi::HandleScope scope(env);
  Napi::Function callback = pending_.Value();
  pending_.Reset();
  Napi::Buffer<uint8_t> into;
  if (!pending_into_.IsEmpty()) {
    into = pending_into_.Value();
    pending_into_.Reset();
  }
  if (tsfn_) napi_unref_threadsafe_function(env, tsfn_);
  if (!sample) {
    callback.Call({env.Null()});
    return;
  }
  Napi::Value buffer = env.Null();
  GstBuffer* gbuffer = gst_sample_get_buffer(sample);
  // The sample's presentation time, as upstream set it.
  Napi::Object meta = Napi::Object::New(env);
  if (gbuffer && GST_BUFFER_PTS_IS_VALID(gbuffer))
    meta.Set("pts", Napi::Number::New(env, static_cast<double>(GST_BUFFER_PTS(gbuffer))));
  GstMapInfo map;
  if (gbuffer && gst_buffer_map(gbuffer, &map, GST_MAP_READ)) {
    // A copy: handing GStreamer's memory to the garbage collector would starve the buffer pools.
    // Into the caller's buffer when it fits exactly: a reader that keeps few of the frames it reads
    // then allocates (and the collector chases) nothing for the others.
    if (!into.IsEmpty() && into.Length() == map.size) {
      std::memcpy(into.Data(), map.data, map.size);
      buffer = into;
    } else {
      buffer = Napi::Buffer<uint8_t>::Copy(env, map.data, map.size);
    }
    gst_buffer_unmap(gbuffer, &map);
  }
  Napi::Value caps = CapsToJs(env, sample);
  gst_sample_unref(sample);
  callback.Call({buffer, caps, meta});
}

Napi::Value SinkState::CapsToJs(Napi::Env env, GstSample* sample) {
  GstCaps* caps = gst_sample_get_caps(sample);
  if (!caps) return Napi::Object::New(env);
  if (last_caps_ && (last_caps_ == caps || gst_caps_is_equal(last_caps_, caps))) return last_caps_js_.Value();
  Napi::Object o = Napi::Object::New(env);
  const GstStructure* structure = gst_caps_get_structure(caps, 0);
  if (structure) StructureToJs(env, structure, o);
  if (last_caps_) gst_caps_unref(last_caps_);
  last_caps_ = gst_caps_ref(caps);
  last_caps_js_ = Napi::Persistent(o);
  return o;
}

}  // namespace gic
