/**
 * Nothing from the source's container reaches a recording: a tower file with a patient's name for a
 * title, the site in its comment and encoder tags, the author, a GPS position, and an audio track, is
 * recorded; the segment (read back with `gst-discoverer-1.0 -v`, and byte by byte) holds none of it,
 * and no audio stream.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gstQuote, runToEos } from '@gic/shared/media/gst.js';
import { describe, expect, it } from 'vitest';
import { type CaptureEnd, CapturePipeline } from './capture-pipeline.js';
import type { ClosedSegment } from './segment-recorder.js';

const dir = mkdtempSync(join(tmpdir(), 'gic-recording-metadata-'));
const IDENTIFYING = ['KOWALCZYK', 'ELSEWHERE', 'PEMBERTON', '51.5074', 'audiotest'];

/** A tower file: video with tags that identify, and an audio track. */
async function taggedSource(path: string): Promise<void> {
  const tags = [
    'title="KOWALCZYK MAGDALENA 1961-03-14"',
    'comment="ST ELSEWHERE GENERAL, ENDO 3"',
    'artist="Dr PEMBERTON"',
    'encoder="ELSEWHERE-TOWER-3"',
    'geo-location-latitude=51.5074',
    'geo-location-longitude=-0.1278',
  ].join(',');
  await runToEos(
    [
      `videotestsrc num-buffers=90 pattern=ball background-color=0xff7a1f1f ! video/x-raw,width=320,height=240,framerate=30/1 ! taginject tags=${gstQuote(tags)} ! videoconvert ! x264enc speed-preset=ultrafast key-int-max=30 ! h264parse ! mux.`,
      'audiotestsrc num-buffers=130 ! audioconvert ! avenc_aac ! aacparse ! mux.',
      `mp4mux name=mux ! filesink location=${gstQuote(path)}`,
    ].join(' '),
  );
}

const discover = (path: string) => execFileSync('gst-discoverer-1.0', ['-v', path], { encoding: 'utf8' });

describe('recordings carry no container metadata from the source, and no audio', () => {
  it('drops the title, comment, author, site encoder tag, GPS position and audio of the source', async () => {
    const source = join(dir, 'tower.mp4');
    await taggedSource(source);
    // Control: the source does hold them, as discoverer reports.
    const before = discover(source);
    for (const text of ['KOWALCZYK', 'ELSEWHERE', 'PEMBERTON', 'audio']) expect(before).toContain(text);

    const closed: ClosedSegment[] = [];
    const ended = new Promise<CaptureEnd>((resolve) => {
      const pipeline = new CapturePipeline(
        {
          source: { kind: 'file', path: source, loop: false },
          realtime: false,
          analysis: { width: 160, height: 120, fps: 5 },
          masks: [],
          recording: {
            segmentPrefix: join(dir, 'rec'),
            segmentSeconds: 60,
            width: 320,
            height: 240,
            fps: 30,
          },
        },
        { onFrame: async () => {}, onSegmentClosed: (s) => closed.push(s), onEnd: resolve },
      );
      pipeline.start();
    });
    expect((await ended).kind).toBe('eos');
    expect(closed).toHaveLength(1);
    const recording = closed[0]!.path;
    const after = discover(recording);
    expect(after).toContain('video codec: H.264');
    expect(after).not.toMatch(/audio/i);
    for (const text of IDENTIFYING) expect(after).not.toContain(text);
    expect(after).not.toMatch(/geo-location|title:|comment:|artist:/);
    // Nor anywhere in the file's bytes.
    const bytes = readFileSync(recording).toString('latin1');
    for (const text of IDENTIFYING) expect(bytes).not.toContain(text);
  }, 60_000);
});
