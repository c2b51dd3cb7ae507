import type { KeyFrameGate } from '@gic/shared/media/file-frames.js';

/** Slack on the rates compared: frame times are rounded to the video's own frame rate. */
const SLACK = 0.05;

/**
 * The extract stage's gate on an already de-identified video: the decoder is given key frames alone
 * while they come at least as often as the sampler asks for frames. A room's recording has a key frame
 * a second, the still rate: while the view is still, the frames between key frames are not decoded at
 * all; once motion asks for more, every frame is decoded again (at the next key frame, a few seconds
 * of video later: the reader runs ahead). A video whose key frames are sparser (the hub's masked copies,
 * one every 2 s) is decoded whole.
 */
export function keyFramesWhileStill(sampler: { readonly targetFps: number }): KeyFrameGate {
  return (intervalMs) =>
    intervalMs !== undefined && intervalMs > 0 && sampler.targetFps <= (1000 / intervalMs) * (1 + SLACK);
}
