#include "teardown.h"

#include <thread>

#include "bus-watch.h"

namespace gic {

void Teardown::Start(void (*done)()) {
  std::thread([this, done] {
    gst_element_set_state(pipeline, GST_STATE_NULL);
    // No streaming thread runs now, so no appsink callback can still be inside our code: replacing
    // them runs their notify, which releases the thread-safe function.
    GstAppSinkCallbacks none = {};
    for (GstAppSink* sink : sinks) {
      gst_app_sink_set_callbacks(sink, &none, nullptr, nullptr);
      gst_object_unref(sink);
    }
    RemoveBusWatch(pipeline);
    for (GstElement* element : elements) gst_object_unref(element);
    gst_object_unref(pipeline);
    done();
    delete this;
  }).detach();
}

}  // namespace gic
