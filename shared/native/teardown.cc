#include "teardown.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "bus-watch.h"

namespace gic {

namespace {
std::mutex running_mutex;
std::condition_variable running_done;
int running = 0;
}  // namespace

void Teardown::Start(void (*done)()) {
  {
    std::lock_guard<std::mutex> lock(running_mutex);
    running++;
  }
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
    {
      std::lock_guard<std::mutex> lock(running_mutex);
      running--;
    }
    running_done.notify_all();
  }).detach();
}

bool Teardown::WaitAll(int timeoutMs) {
  std::unique_lock<std::mutex> lock(running_mutex);
  return running_done.wait_for(lock, std::chrono::milliseconds(timeoutMs), [] { return running == 0; });
}

}  // namespace gic
