import { describe, expect, it } from 'vitest';
import { gstErrorText } from './gst.js';

// Bus messages as the binding (shared/native) delivers them on GStreamer 1.22.
describe('gstErrorText', () => {
  it('names the element and its kind, what happened and the reason', () => {
    expect(
      gstErrorText({
        type: 'error',
        name: '/GstPipeline:pipeline0/GstFileSrc:filesrc0',
        debug:
          '../plugins/elements/gstfilesrc.c(553): gst_file_src_start (): /GstPipeline:pipeline0/GstFileSrc:filesrc0:\nNo such file "nope.mp4"',
        _src_element_name: 'filesrc0',
        message: 'Resource not found.',
      }),
    ).toBe('filesrc0 (GstFileSrc): Resource not found. (No such file "nope.mp4")');
    expect(
      gstErrorText({
        type: 'error',
        name: '/GstPipeline:pipeline1/GstFileSink:file',
        debug:
          '../plugins/elements/gstelements_private.c(338): gst_writev_iovecs (): /GstPipeline:pipeline1/GstFileSink:file',
        _src_element_name: 'file',
        message: 'No space left on the resource.',
      }),
    ).toBe('file (GstFileSink): No space left on the resource.');
  });

  it('gives a warning its element and kind from the debug path and its type from the details', () => {
    expect(
      gstErrorText({
        type: 'warning',
        name: '/GstPipeline:pipeline0/GstDecodeBin:decodebin0/GstTSDemux:tsdemux0',
        message: 'Could not demultiplex stream.',
        debug:
          '../gst/mpegtsdemux/tsdemux.c(2742): gst_ts_demux_queue_data (): /GstPipeline:pipeline0/GstDecodeBin:decodebin0/GstTSDemux:tsdemux0',
        details:
          'details, warning-type=(string)continuity-mismatch, packet=(int)7, stream=(int)11, pid=(uint)65;',
        _src_element_name: 'tsdemux0',
      }),
    ).toBe('tsdemux0 (GstTSDemux): continuity-mismatch');
  });
});
