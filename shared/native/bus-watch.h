// A pipeline's bus messages, handed to JavaScript from whichever GStreamer thread posts them.
#pragma once
#include <gst/gst.h>
#include <napi.h>

namespace gic {

/** Drops every message: installed on each new pipeline so that an unwatched bus never grows. */
void DropBusMessages(GstElement* pipeline);

/**
 * Calls `callback` on the main thread with each eos, error, warning, info, element and application
 * message (state changes and the like are dropped where they are posted). No thread waits: the bus's
 * synchronous handler queues the message on a thread-safe function. Ends with RemoveBusWatch.
 */
void WatchBus(Napi::Env env, GstElement* pipeline, Napi::Function callback);

/** Stops delivery; messages already queued are still delivered. */
void RemoveBusWatch(GstElement* pipeline);

/** A bus message as the object the JavaScript side knows (see shared/src/media/gst.ts). */
Napi::Object MessageToJs(Napi::Env env, GstMessage* message);

}  // namespace gic
