// Tearing a pipeline down away from the main thread.
#pragma once
#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include <vector>

namespace gic {

/**
 * What a stopped pipeline still holds: set to NULL, then let go, on a thread of its own. Setting a
 * pipeline to NULL joins its streaming threads, and a source stuck in a driver or a blocking read (a
 * capture card that stopped answering, a FIFO nobody writes) can hold that up for ever: the event
 * loop must never wait on it.
 */
struct Teardown {
  GstElement* pipeline = nullptr;
  /** Appsinks whose callbacks are removed once the streaming threads are down. */
  std::vector<GstAppSink*> sinks;
  /** References to let go of, last. */
  std::vector<GstElement*> elements;

  /** Runs and frees itself on a detached thread; `done` runs at the end, on that thread. */
  void Start(void (*done)());

  /**
   * Waits up to `timeoutMs` for every teardown started to end; true when none is left. For the
   * process's exit: a teardown thread still running while Node tears its environment down (and
   * GStreamer's own exit handlers run) aborts the process.
   */
  static bool WaitAll(int timeoutMs);
};

}  // namespace gic
