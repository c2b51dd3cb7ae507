{
  "targets": [
    {
      # The project's GStreamer binding: pipelines whose bus messages and appsink samples reach
      # JavaScript through thread-safe functions called from GStreamer's own threads, so that no
      # libuv worker thread ever waits on a pipeline (see native/README.md).
      "target_name": "gic_gst",
      "sources": [
        "native/addon.cc",
        "native/gvalue-js.cc",
        "native/bus-watch.cc",
        "native/sink-state.cc",
        "native/element.cc",
        "native/pipeline.cc",
        "native/teardown.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "conditions": [
        ["OS=='linux' or OS=='mac'", {
          "cflags": ["<!@(pkg-config --cflags gstreamer-1.0 gstreamer-app-1.0 gstreamer-video-1.0)"],
          "cflags_cc": ["<!@(pkg-config --cflags gstreamer-1.0 gstreamer-app-1.0 gstreamer-video-1.0)"],
          "xcode_settings": {
            "OTHER_CFLAGS": ["<!@(pkg-config --cflags gstreamer-1.0 gstreamer-app-1.0 gstreamer-video-1.0)"]
          },
          "libraries": ["<!@(pkg-config --libs gstreamer-1.0 gstreamer-app-1.0 gstreamer-video-1.0)"]
        }]
      ]
    }
  ]
}
