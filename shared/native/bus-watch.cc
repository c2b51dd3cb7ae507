#include "bus-watch.h"

#include "gvalue-js.h"

namespace gic {

namespace {

struct BusWatch {
  napi_threadsafe_function tsfn = nullptr;
};

// A sync handler that answers GST_BUS_DROP owns the message and must unref it.
GstBusSyncReply DropAll(GstBus*, GstMessage* message, gpointer) {
  gst_message_unref(message);
  return GST_BUS_DROP;
}

GstBusSyncReply OnMessage(GstBus*, GstMessage* message, gpointer data) {
  auto* watch = static_cast<BusWatch*>(data);
  switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_EOS:
    case GST_MESSAGE_ERROR:
    case GST_MESSAGE_WARNING:
    case GST_MESSAGE_INFO:
    case GST_MESSAGE_ELEMENT:
    case GST_MESSAGE_APPLICATION:
      // The thread-safe function takes the handler's reference; CallJs drops it.
      if (napi_call_threadsafe_function(watch->tsfn, message, napi_tsfn_nonblocking) != napi_ok) {
        gst_message_unref(message);
      }
      break;
    default:
      gst_message_unref(message);
      break;
  }
  // Dropped here, so nothing ever waits in the bus's own queue.
  return GST_BUS_DROP;
}

// The handler's destroy notify: GStreamer calls it once no thread can still be inside OnMessage.
void OnRemoved(gpointer data) {
  napi_release_threadsafe_function(static_cast<BusWatch*>(data)->tsfn, napi_tsfn_release);
}

void CallJs(napi_env env, napi_value callback, void*, void* data) {
  auto* message = static_cast<GstMessage*>(data);
  if (env != nullptr && callback != nullptr) {
    Napi::Env e(env);
    Napi::HandleScope scope(e);
    napi_value argv[] = {MessageToJs(e, message)};
    // A throwing callback becomes an uncaught exception, as for any other async callback.
    napi_call_function(env, e.Undefined(), callback, 1, argv, nullptr);
  }
  gst_message_unref(message);
}

void Finalize(napi_env, void* data, void*) { delete static_cast<BusWatch*>(data); }

void SetHandler(GstElement* pipeline, GstBusSyncHandler handler, gpointer data, GDestroyNotify notify) {
  GstBus* bus = gst_element_get_bus(pipeline);
  if (!bus) return;
  // GStreamer refuses to replace a handler: clear first (which runs the old one's notify).
  gst_bus_set_sync_handler(bus, nullptr, nullptr, nullptr);
  gst_bus_set_sync_handler(bus, handler, data, notify);
  gst_object_unref(bus);
}

}  // namespace

void DropBusMessages(GstElement* pipeline) { SetHandler(pipeline, DropAll, nullptr, nullptr); }

void WatchBus(Napi::Env env, GstElement* pipeline, Napi::Function callback) {
  auto* watch = new BusWatch();
  napi_status status = napi_create_threadsafe_function(
      env, callback, nullptr, Napi::String::New(env, "gic-gst.bus"), 0, 1, watch, Finalize, nullptr, CallJs,
      &watch->tsfn);
  if (status != napi_ok) {
    delete watch;
    Napi::Error::New(env, "cannot create the bus watch").ThrowAsJavaScriptException();
    return;
  }
  // Replacing the handler releases a previous watch through its notify.
  SetHandler(pipeline, OnMessage, watch, OnRemoved);
}

void RemoveBusWatch(GstElement* pipeline) { DropBusMessages(pipeline); }

Napi::Object MessageToJs(Napi::Env env, GstMessage* message) {
  Napi::Object m = Napi::Object::New(env);
  const GstMessageType type = GST_MESSAGE_TYPE(message);
  const GstStructure* structure = gst_message_get_structure(message);
  if (structure && (type == GST_MESSAGE_ELEMENT || type == GST_MESSAGE_APPLICATION)) {
    StructureToJs(env, structure, m);
  }
  m.Set("type", GST_MESSAGE_TYPE_NAME(message));
  GstObject* src = GST_MESSAGE_SRC(message);
  if (src) m.Set("_src_element_name", GST_OBJECT_NAME(src) ? GST_OBJECT_NAME(src) : "");
  if (type == GST_MESSAGE_ERROR || type == GST_MESSAGE_WARNING || type == GST_MESSAGE_INFO) {
    GError* error = nullptr;
    gchar* debug = nullptr;
    const GstStructure* details = nullptr;
    if (type == GST_MESSAGE_ERROR) {
      gst_message_parse_error(message, &error, &debug);
      gst_message_parse_error_details(message, &details);
    } else if (type == GST_MESSAGE_WARNING) {
      gst_message_parse_warning(message, &error, &debug);
      gst_message_parse_warning_details(message, &details);
    } else {
      gst_message_parse_info(message, &error, &debug);
      gst_message_parse_info_details(message, &details);
    }
    if (src) {
      gchar* path = gst_object_get_path_string(src);
      m.Set("name", path);
      g_free(path);
    }
    if (error) m.Set("message", error->message ? error->message : "");
    if (debug) m.Set("debug", debug);
    if (details) {
      gchar* text = gst_structure_to_string(details);
      m.Set("details", text);
      g_free(text);
    }
    if (error) g_error_free(error);
    g_free(debug);
  }
  return m;
}

}  // namespace gic
