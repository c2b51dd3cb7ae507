#include "pipeline.h"

#include <gst/video/video.h>

#include <cstring>
#include <thread>

#include "bus-watch.h"
#include "element.h"
#include "teardown.h"

namespace gic {

std::atomic<int> Pipeline::alive{0};

/**
 * The key-unit gate of one pipeline: while `wanted`, video decoders are given key frames only. Shared
 * by the pipeline and every probe (a probe may outlive the JS object while the pipeline tears down).
 */
struct DeltaGate {
  std::atomic<bool> wanted{false};
  /** The longest time between two key frames a decoder was given (ns), and how many such times there were. */
  std::atomic<int64_t> keyIntervalNs{-1};
  std::atomic<int> keyIntervals{0};
  /** Decoded frames closer than this to the last one let through are dropped (ns); 0: none. */
  int64_t minFrameIntervalNs = 0;
};

namespace {

/** Properties to set on elements a bin adds while it runs (decodebin's decoder, say), by factory. */
struct ChildProperty {
  std::string factory;  // a factory name, or a prefix ending in '*'
  std::string property;
  std::string value;
};
using ChildProperties = std::vector<ChildProperty>;

bool FactoryMatches(const std::string& pattern, const gchar* name) {
  if (!pattern.empty() && pattern.back() == '*') return g_str_has_prefix(name, pattern.substr(0, pattern.size() - 1).c_str());
  return pattern == name;
}

void ApplyChildProperties(const ChildProperties& properties, GstElement* element) {
  GstElementFactory* factory = gst_element_get_factory(element);
  if (!factory) return;
  const gchar* name = gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(factory));
  for (const auto& p : properties) {
    // A factory matched by prefix may make elements without the property (avdec_aac has no threads).
    if (FactoryMatches(p.factory, name) && g_object_class_find_property(G_OBJECT_GET_CLASS(element), p.property.c_str()))
      gst_util_set_object_arg(G_OBJECT(element), p.property.c_str(), p.value.c_str());
  }
}

// Runs on whichever thread adds the element (a streaming thread, for an autoplugged decoder), before
// the element is linked and configured.
void OnDeepElementAdded(GstBin*, GstBin*, GstElement* element, gpointer data) {
  ApplyChildProperties(*static_cast<ChildProperties*>(data), element);
}

void FreeChildProperties(gpointer data, GClosure*) { delete static_cast<ChildProperties*>(data); }

/** Reads `{ factory: { property: value } }`; throws a JS TypeError (and returns false) on anything else. */
bool ReadChildProperties(Napi::Env env, Napi::Value value, ChildProperties& out) {
  if (!value.IsObject()) {
    Napi::TypeError::New(env, "childProperties must be an object of factory names").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Object factories = value.As<Napi::Object>();
  Napi::Array names = factories.GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); i++) {
    const std::string factory = names.Get(i).As<Napi::String>().Utf8Value();
    Napi::Value props = factories.Get(factory);
    if (!props.IsObject()) {
      Napi::TypeError::New(env, "childProperties." + factory + " must be an object of properties").ThrowAsJavaScriptException();
      return false;
    }
    Napi::Object object = props.As<Napi::Object>();
    Napi::Array keys = object.GetPropertyNames();
    for (uint32_t k = 0; k < keys.Length(); k++) {
      const std::string property = keys.Get(k).As<Napi::String>().Utf8Value();
      Napi::Value v = object.Get(property);
      if (!v.IsString() && !v.IsNumber() && !v.IsBoolean()) {
        Napi::TypeError::New(env, "childProperties." + factory + "." + property + " must be a string, number or boolean")
            .ThrowAsJavaScriptException();
        return false;
      }
      out.push_back({factory, property, v.ToString().Utf8Value()});
    }
  }
  return true;
}

/**
 * Marks each segment a video decoder receives as a trick mode (GST_SEGMENT_FLAG_TRICKMODE): the
 * decoder may then skip frames no other frame refers to, and libav's (avdec_*) does, as it does in a
 * trick-mode seek (AVDISCARD_NONREF). Those are most B-frames of x264's default settings; I- and
 * P-frames and B-frames used as references are all decoded. The new event keeps the old one's seqnum,
 * so downstream sees the same segment, marked.
 */
GstPadProbeReturn MarkSegmentTrickMode(GstPad*, GstPadProbeInfo* info, gpointer) {
  GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) != GST_EVENT_SEGMENT) return GST_PAD_PROBE_OK;
  const GstSegment* segment = nullptr;
  gst_event_parse_segment(event, &segment);
  if (segment->flags & GST_SEGMENT_FLAG_TRICKMODE) return GST_PAD_PROBE_OK;
  GstSegment marked;
  gst_segment_copy_into(segment, &marked);
  marked.flags = static_cast<GstSegmentFlags>(marked.flags | GST_SEGMENT_FLAG_TRICKMODE);
  GstEvent* replacement = gst_event_new_segment(&marked);
  gst_event_set_seqnum(replacement, gst_event_get_seqnum(event));
  gst_event_unref(event);
  GST_PAD_PROBE_INFO_DATA(info) = replacement;
  return GST_PAD_PROBE_OK;
}

/** A video decoder, by its factory's class ("Codec/Decoder/Video", a hardware one too). */
bool IsVideoDecoder(GstElement* element) {
  GstElementFactory* factory = gst_element_get_factory(element);
  if (!factory) return false;
  const gchar* klass = gst_element_factory_get_metadata(factory, GST_ELEMENT_METADATA_KLASS);
  return klass && strstr(klass, "Decoder") && strstr(klass, "Video");
}

void SkipNonReferenceFrames(GstElement* element) {
  if (!IsVideoDecoder(element)) return;
  GstPad* pad = gst_element_get_static_pad(element, "sink");
  if (!pad) return;
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, MarkSegmentTrickMode, nullptr, nullptr);
  gst_object_unref(pad);
}

// Runs on whichever thread adds the element (a streaming thread, for an autoplugged decoder), before
// the element is linked, so the probe sees the decoder's first segment.
void OnElementAddedSkipNonReference(GstBin*, GstBin*, GstElement* element, gpointer) { SkipNonReferenceFrames(element); }

/** One decoder's probes on the gate: its input's key unit state and its output's rate. */
struct DeltaGateProbe {
  std::shared_ptr<DeltaGate> gate;
  bool skipping = false;
  GstClockTime lastKey = GST_CLOCK_TIME_NONE;
  GstClockTime nextOut = GST_CLOCK_TIME_NONE;
};

/**
 * Decides at each key frame (a buffer without GST_BUFFER_FLAG_DELTA_UNIT) whether the frames that
 * depend on it reach the decoder: the gate's wish is read only there, so decoding stops and resumes
 * on whole key units and a decoded frame never misses the frames it refers to.
 */
GstPadProbeReturn GateDeltaUnits(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* probe = static_cast<DeltaGateProbe*>(data);
  GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  if (!GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT)) {
    probe->skipping = probe->gate->wanted.load(std::memory_order_relaxed);
    const GstClockTime pts = GST_BUFFER_PTS(buffer);
    if (GST_CLOCK_TIME_IS_VALID(pts) && GST_CLOCK_TIME_IS_VALID(probe->lastKey) && pts > probe->lastKey) {
      // The longest: an encoder adds key frames at scene cuts, so the last two say nothing of the most
      // that may come between two.
      const auto interval = static_cast<int64_t>(pts - probe->lastKey);
      if (interval > probe->gate->keyIntervalNs.load(std::memory_order_relaxed))
        probe->gate->keyIntervalNs.store(interval, std::memory_order_relaxed);
      probe->gate->keyIntervals.fetch_add(1, std::memory_order_relaxed);
    }
    probe->lastKey = pts;
    return GST_PAD_PROBE_OK;
  }
  return probe->skipping ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

/**
 * Limits the decoded frames to the gate's rate on a grid of its interval: a frame is let through at
 * its grid time or after (less a twentieth, for times rounded to the video's own rate), and the grid
 * moves on by one interval, so that frames skipped around a grid time cost no rate. A frame an interval
 * or more past the grid (after key frames alone, say) starts the grid again from itself: videorate's
 * fixed grid would instead fall behind over key frames alone, then let every frame through until it
 * had caught up.
 */
GstPadProbeReturn LimitDecodedRate(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* probe = static_cast<DeltaGateProbe*>(data);
  const GstClockTime interval = static_cast<GstClockTime>(probe->gate->minFrameIntervalNs);
  const GstClockTime pts = GST_BUFFER_PTS(GST_PAD_PROBE_INFO_BUFFER(info));
  if (interval == 0 || !GST_CLOCK_TIME_IS_VALID(pts)) return GST_PAD_PROBE_OK;
  const GstClockTime next = probe->nextOut;
  if (GST_CLOCK_TIME_IS_VALID(next) && pts + interval / 20 < next) return GST_PAD_PROBE_DROP;
  probe->nextOut = GST_CLOCK_TIME_IS_VALID(next) && pts < next + interval ? next + interval : pts + interval;
  return GST_PAD_PROBE_OK;
}

void FreeDeltaGateProbe(gpointer data) { delete static_cast<DeltaGateProbe*>(data); }
void FreeDeltaGate(gpointer data, GClosure*) { delete static_cast<std::shared_ptr<DeltaGate>*>(data); }

void AddDeltaGate(GstElement* element, const std::shared_ptr<DeltaGate>& gate) {
  if (!IsVideoDecoder(element)) return;
  GstPad* pad = gst_element_get_static_pad(element, "sink");
  if (!pad) return;
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, GateDeltaUnits, new DeltaGateProbe{gate}, FreeDeltaGateProbe);
  gst_object_unref(pad);
  if (gate->minFrameIntervalNs <= 0) return;
  GstPad* src = gst_element_get_static_pad(element, "src");
  if (!src) return;
  gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, LimitDecodedRate, new DeltaGateProbe{gate}, FreeDeltaGateProbe);
  gst_object_unref(src);
}

void OnElementAddedDeltaGate(GstBin*, GstBin*, GstElement* element, gpointer data) {
  AddDeltaGate(element, *static_cast<std::shared_ptr<DeltaGate>*>(data));
}

/** Calls `fn` on every element inside `bin`, at any depth. */
template <typename Fn>
void ForEachElement(GstElement* bin, Fn fn) {
  GstIterator* it = gst_bin_iterate_recurse(GST_BIN(bin));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    fn(GST_ELEMENT(g_value_get_object(&item)));
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
}

}  // namespace

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
                         InstanceMethod<&Pipeline::SkipDeltaUnits>("skipDeltaUnits"),
                         InstanceAccessor<&Pipeline::KeyFrameIntervalMs>("keyFrameIntervalMs"),
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
  auto childProperties = std::make_unique<ChildProperties>();
  bool skipNonReference = false;
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Object options = info[1].As<Napi::Object>();
    Napi::Value value = options.Get("childProperties");
    if (!value.IsUndefined() && !ReadChildProperties(env, value, *childProperties)) return;
    Napi::Value skip = options.Get("skipNonReferenceFrames");
    if (!skip.IsUndefined() && !skip.IsBoolean()) {
      Napi::TypeError::New(env, "skipNonReferenceFrames must be a boolean").ThrowAsJavaScriptException();
      return;
    }
    skipNonReference = skip.IsBoolean() && skip.As<Napi::Boolean>().Value();
    Napi::Value gate = options.Get("gateDeltaUnits");
    if (!gate.IsUndefined() && !gate.IsBoolean()) {
      Napi::TypeError::New(env, "gateDeltaUnits must be a boolean").ThrowAsJavaScriptException();
      return;
    }
    if (gate.IsBoolean() && gate.As<Napi::Boolean>().Value()) deltaGate_ = std::make_shared<DeltaGate>();
    Napi::Value rate = options.Get("gatedMaxFps");
    if (!rate.IsUndefined()) {
      const double fps = rate.IsNumber() ? rate.As<Napi::Number>().DoubleValue() : 0;
      if (!deltaGate_ || !(fps > 0 && fps <= 1000)) {
        Napi::TypeError::New(env, "gatedMaxFps must be a number of frames per second in (0, 1000], with gateDeltaUnits")
            .ThrowAsJavaScriptException();
        return;
      }
      deltaGate_->minFrameIntervalNs = static_cast<int64_t>(1e9 / fps);
    }
  }
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
  if (!childProperties->empty()) {
    // Elements the description made, then those bins add later; the handler's data lives as long as
    // the pipeline (freed when it is).
    ForEachElement(pipeline_, [&](GstElement* element) { ApplyChildProperties(*childProperties, element); });
    g_signal_connect_data(pipeline_, "deep-element-added", G_CALLBACK(OnDeepElementAdded), childProperties.release(),
                          FreeChildProperties, GConnectFlags(0));
  }
  if (skipNonReference) {
    ForEachElement(pipeline_, SkipNonReferenceFrames);
    g_signal_connect(pipeline_, "deep-element-added", G_CALLBACK(OnElementAddedSkipNonReference), nullptr);
  }
  if (deltaGate_) {
    ForEachElement(pipeline_, [&](GstElement* element) { AddDeltaGate(element, deltaGate_); });
    g_signal_connect_data(pipeline_, "deep-element-added", G_CALLBACK(OnElementAddedDeltaGate),
                          new std::shared_ptr<DeltaGate>(deltaGate_), FreeDeltaGate, GConnectFlags(0));
  }
}

Napi::Value Pipeline::KeyFrameIntervalMs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // Told once three intervals were seen: one or two could both be cut short by scene cuts.
  if (!deltaGate_ || deltaGate_->keyIntervals.load(std::memory_order_relaxed) < 3) return env.Undefined();
  const int64_t ns = deltaGate_->keyIntervalNs.load(std::memory_order_relaxed);
  return ns < 0 ? env.Undefined() : Napi::Number::New(env, static_cast<double>(ns) / 1e6);
}

Napi::Value Pipeline::SkipDeltaUnits(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!deltaGate_) {
    Napi::Error::New(env, "skipDeltaUnits needs a pipeline made with gateDeltaUnits: true").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (info.Length() < 1 || !info[0].IsBoolean()) {
    Napi::TypeError::New(env, "skipDeltaUnits needs a boolean").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  deltaGate_->wanted.store(info[0].As<Napi::Boolean>().Value(), std::memory_order_relaxed);
  return env.Undefined();
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
