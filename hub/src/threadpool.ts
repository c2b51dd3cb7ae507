// Imported first by main.ts, before anything can start the libuv thread pool: GStreamer's bus polls
// and appsink pulls each hold a worker thread, so the default of 4 is too few (see shared media/gst.ts).
process.env.UV_THREADPOOL_SIZE ??= '16';
