import type { Ref } from 'preact';
import { useEffect, useImperativeHandle, useRef, useState } from 'preact/hooks';
import type { Playback } from '../../../src/procedures/procedure-view-types.js';
import { locate, type PlaylistSegment, segmentStarts, totalMs } from '../lib/playlist.js';

/** What the page asks of the player: seek to a time on the video's own axis (ms, across segments). */
export interface PlayerHandle {
  seek(videoMs: number): void;
}

/** A segment's length, read from its file's header by a detached element (a ranged request or two). */
function probeDuration(url: string): Promise<number | null> {
  return new Promise((resolve) => {
    const v = document.createElement('video');
    v.preload = 'metadata';
    v.muted = true;
    const done = (ms: number | null) => {
      v.removeAttribute('src');
      v.load();
      resolve(ms);
    };
    v.onloadedmetadata = () => done(Number.isFinite(v.duration) ? v.duration * 1000 : null);
    v.onerror = () => done(null);
    v.src = url;
  });
}

/**
 * Plays the procedure's recording as one video across its segments: each segment is a presigned URL
 * the browser reads straight from the object store (range requests: seeking never goes through the
 * hub), the next starts when one ends, and a seek to any time finds its segment.
 */
export function VideoPlayer({
  playback,
  handle,
  onTime,
  onTotal,
}: {
  playback: Playback;
  handle: Ref<PlayerHandle>;
  /** The playing position on the video's axis (ms). */
  onTime: (videoMs: number) => void;
  /** The whole recording's length once every segment's is known. */
  onTotal: (videoMs: number | null) => void;
}) {
  const video = useRef<HTMLVideoElement>(null);
  const [segments, setSegments] = useState<PlaylistSegment[]>(() =>
    playback.segments.map((s) => ({ url: s.url, durationMs: s.durationMs })),
  );
  const [current, setCurrent] = useState(0);
  // A seek into a segment not loaded yet, applied once it is, and whether to play on from there.
  const pending = useRef<{ offsetMs: number; play: boolean } | null>(null);
  const starts = segmentStarts(segments);

  // New URLs (they expire and are fetched again) keep the lengths already read, and the segment
  // playing reloads from its new URL where it was (a range request on an expired URL would fail).
  useEffect(() => {
    const v = video.current;
    const now = playback.segments[current]?.url;
    if (v?.currentSrc && now && now !== v.currentSrc)
      pending.current = { offsetMs: v.currentTime * 1000, play: !v.paused };
    setSegments((old) =>
      playback.segments.map((s, i) => ({
        url: s.url,
        durationMs: s.durationMs ?? old[i]?.durationMs ?? null,
      })),
    );
  }, [playback]);
  useEffect(() => {
    let cancelled = false;
    playback.segments.forEach((s, i) => {
      if (s.durationMs !== null) return;
      probeDuration(s.url).then((ms) => {
        if (cancelled || ms === null) return;
        setSegments((old) => old.map((o, j) => (j === i ? { ...o, durationMs: ms } : o)));
      });
    });
    return () => {
      cancelled = true;
    };
  }, [playback]);
  useEffect(() => onTotal(totalMs(segments)), [segments, onTotal]);

  useImperativeHandle(handle, () => ({
    seek(videoMs: number) {
      const v = video.current;
      const at = locate(segments, videoMs);
      if (!v || !at) return;
      if (at.index === current) v.currentTime = at.offsetMs / 1000;
      else {
        pending.current = { offsetMs: at.offsetMs, play: !v.paused };
        setCurrent(at.index);
      }
    },
  }));

  const segment = segments[current];
  if (!segment) return <p class="notice">No video at the hub for this procedure.</p>;
  return (
    <div class="player">
      <video
        id="player"
        ref={video}
        src={segment.url}
        controls
        preload="metadata"
        playsInline
        onLoadedMetadata={(e) => {
          const v = e.currentTarget;
          const p = pending.current;
          if (p) {
            pending.current = null;
            v.currentTime = p.offsetMs / 1000;
            if (p.play) v.play().catch(() => {});
          }
        }}
        onTimeUpdate={(e) => onTime((starts[current] ?? 0) + e.currentTarget.currentTime * 1000)}
        onSeeked={(e) => onTime((starts[current] ?? 0) + e.currentTarget.currentTime * 1000)}
        onEnded={() => {
          if (current + 1 < segments.length) {
            pending.current = { offsetMs: 0, play: true };
            setCurrent(current + 1);
          }
        }}
      >
        <track kind="captions" />
      </video>
      <p class="muted" id="segment-info">
        {segments.length > 1 ? `Segment ${current + 1} of ${segments.length}` : ''}
      </p>
    </div>
  );
}
