// The addon's entry: GStreamer is initialised once per process; each environment gets its classes.
#include <gst/gst.h>
#include <napi.h>

#include "addon.h"
#include "element.h"
#include "pipeline.h"
#include "teardown.h"

namespace gic {

static Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Object stats = Napi::Object::New(info.Env());
  stats.Set("pipelines", Pipeline::alive.load());
  stats.Set("elements", Element::alive.load());
  stats.Set("appsinks", SinkState::alive.load());
  return stats;
}

// Blocks the calling thread until every stopped pipeline's teardown has ended, at most `ms`: for the
// process's exit only (gst.ts calls it from process 'exit'), never while the event loop has work.
static Napi::Value Settle(const Napi::CallbackInfo& info) {
  const int ms = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
  return Napi::Boolean::New(info.Env(), Teardown::WaitAll(ms < 0 ? 0 : ms));
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  GError* error = nullptr;
  if (!gst_init_check(nullptr, nullptr, &error)) {
    const std::string message = std::string("GStreamer cannot start: ") + (error ? error->message : "unknown");
    if (error) g_error_free(error);
    Napi::Error::New(env, message).ThrowAsJavaScriptException();
    return exports;
  }
  auto* data = new AddonData();
  data->element = Napi::Persistent(Element::Define(env));
  env.SetInstanceData(data);
  exports.Set("Pipeline", Pipeline::Define(env));
  exports.Set("stats", Napi::Function::New(env, Stats));
  exports.Set("settle", Napi::Function::New(env, Settle));
  exports.Set("version", gst_version_string());
  return exports;
}

}  // namespace gic

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return gic::Init(env, exports); }

NODE_API_MODULE(gic_gst, InitAddon)
