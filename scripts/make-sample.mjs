#!/usr/bin/env node
// Writes the generated sample clip (fake patient identity burned in) to the path given.
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';

const path = process.argv[2];
if (!path) {
  console.error('usage: make-sample.mjs OUTPUT.mp4 [seconds]');
  process.exit(2);
}
const seconds = Number(process.argv[3] ?? 10);
await generateSampleVideo(path, { seconds });
console.log(`sample video written to ${path} (${seconds} s, 1280x720, H.264)`);
