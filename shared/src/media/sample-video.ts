import { mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { gstQuote, runToEos } from './gst.js';

export interface SampleVideoOptions {
  seconds: number;
  width: number;
  height: number;
  fps: number;
  /** Fake patient identifiers burned in like a tower's on-screen display. */
  patientText: string;
}

/** The fake identity burned into generated clips; tests look for it where it must never appear. */
export const SAMPLE_PATIENT_TEXT = 'DOE, JANE   DOB 14.03.1961   MRN 00123456';

/**
 * Where the generated clip's on-screen display sits (normalised): the identity band at the top and
 * the clock at the bottom. A real tower's OSD layout is configured the same way (GIC_PRIVACY_MASKS).
 */
export const SAMPLE_OSD_MASKS = [
  { x: 0, y: 0, w: 1, h: 0.14 },
  { x: 0, y: 0.86, w: 1, h: 0.14 },
];

export const defaultSampleVideo: SampleVideoOptions = {
  seconds: 10,
  width: 1280,
  height: 720,
  fps: 30,
  patientText: SAMPLE_PATIENT_TEXT,
};

/**
 * Writes an H.264 MP4 that stands in for endoscopy footage: a reddish moving scene (so it reads as
 * in-body), the fake patient name and date of birth at the top left and a running clock at the
 * bottom left, as a tower's on-screen display would show them. Written to a temporary name first,
 * so an interrupted run never leaves a half file under the real name.
 */
export async function generateSampleVideo(
  path: string,
  options: Partial<SampleVideoOptions> = {},
): Promise<void> {
  const o = { ...defaultSampleVideo, ...options };
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.partial`;
  const font = Math.round(o.height / 26);
  await runToEos(
    [
      `videotestsrc pattern=ball motion=wavy background-color=0xff7a1f1f foreground-color=0xffe8a090 num-buffers=${o.seconds * o.fps}`,
      `video/x-raw,width=${o.width},height=${o.height},framerate=${o.fps}/1`,
      `textoverlay text=${gstQuote(o.patientText)} valignment=top halignment=left auto-resize=false font-desc=${gstQuote(`Sans Bold ${font}px`)} shaded-background=true xpad=${font} ypad=${font}`,
      `timeoverlay valignment=bottom halignment=left auto-resize=false font-desc=${gstQuote(`Sans ${font}px`)} shaded-background=true xpad=${font} ypad=${font}`,
      'videoconvert',
      'video/x-raw,format=I420',
      `x264enc speed-preset=ultrafast key-int-max=${o.fps}`,
      'h264parse',
      'mp4mux',
      `filesink location=${gstQuote(partial)}`,
    ].join(' ! '),
  );
  renameSync(partial, path);
}
