#!/usr/bin/env node
// Writes the generated sample clip (fake patient identity burned in) to the path given.
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';

const path = process.argv[2];
if (!path) {
  console.error('usage: make-sample.mjs OUTPUT.mp4 [seconds]');
  process.exit(2);
}
const seconds = Number(process.argv[3] ?? 10);
try {
  await generateSampleVideo(path, { seconds });
} catch (err) {
  // One line a person can act on, not a stack.
  const why = err.message.split('\n')[0];
  const todo = /GStreamer|no element|gstreamer-superficial/i.test(why)
    ? 'install GStreamer and its plugins: bash scripts/setup.sh'
    : 'choose a path that can be written';
  console.error(`make-sample: could not write ${path}: ${why}; ${todo}`);
  process.exit(1);
}
console.log(`sample video written to ${path} (${seconds} s, 1280x720, H.264)`);
