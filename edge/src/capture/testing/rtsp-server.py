#!/usr/bin/env python3
"""A camera stand-in for capture tests: serves a moving test pattern as H.264 over RTSP.

Usage: rtsp-server.py PORT  ->  rtsp://127.0.0.1:PORT/test (loopback only). Prints "ready" once it
listens; runs until killed. Needs gir1.2-gst-rtsp-server-1.0 and python3-gst-1.0 (scripts/setup.sh test).
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(sys.argv[1])
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    "( videotestsrc is-live=true pattern=ball motion=wavy"
    " ! video/x-raw,width=320,height=180,framerate=15/1"
    " ! x264enc speed-preset=ultrafast tune=zerolatency key-int-max=15"
    " ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
)
# One encoder however many clients, as a camera has.
factory.set_shared(True)
server.get_mount_points().add_factory("/test", factory)
if server.attach(None) == 0:
    sys.exit(f"cannot listen on 127.0.0.1:{sys.argv[1]}")
print("ready", flush=True)
GLib.MainLoop().run()
