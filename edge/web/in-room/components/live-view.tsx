import { useEffect, useRef, useState } from 'preact/hooks';
import { recordedLine } from '../format.js';
import type { LatestAnalysis, LiveState } from '../live-types.js';

const MJPEG = '/api/v1/realtime/preview.mjpeg';

/** Masked text regions (grey) and findings (green) over the picture, in normalised coordinates. */
function drawOverlay(canvas: HTMLCanvasElement, a: LatestAnalysis | null): void {
  const g = canvas.getContext('2d');
  if (!g) return;
  const { width: w, height: h } = canvas;
  g.clearRect(0, 0, w, h);
  if (!a) return;
  g.fillStyle = 'rgba(160,160,160,0.85)';
  // Regions the recogniser found not to be text (highlights) are not masked: not drawn either.
  for (const b of a.privacyRegions)
    if (b.recognised !== false) g.fillRect(b.x * w, b.y * h, b.w * w, b.h * h);
  g.strokeStyle = '#3fb950';
  g.lineWidth = 3;
  for (const d of a.detections) g.strokeRect(d.box.x * w, d.box.y * h, d.box.w * w, d.box.h * h);
}

/**
 * The live picture (the box's MJPEG preview) with the analysis drawn over it. When the source has
 * ended its last frame stays, dimmed, with what was recorded; when video comes back the stream is
 * reloaded (an MJPEG response ends with its source).
 */
export function LiveView({ live }: { live: LiveState | null }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [src, setSrc] = useState(MJPEG);
  const [hidden, setHidden] = useState(false);
  const ended = live?.source.state === 'ended';
  const isLive = live?.source.state === 'live' && live.analysis?.state !== 'stalled';

  useEffect(() => {
    if (canvas.current) drawOverlay(canvas.current, live?.latest ?? null);
  }, [live?.latest]);
  useEffect(() => {
    if (ended) setSrc(`/api/v1/realtime/preview.jpg?${Date.now()}`);
  }, [ended]);
  useEffect(() => {
    if (isLive) {
      setHidden(false);
      setSrc(`${MJPEG}?${Date.now()}`);
    }
  }, [isLive]);

  return (
    <div class={`view${ended ? ' ended' : ''}`} id="view-box">
      <img
        id="preview"
        src={src}
        alt="live video"
        style={hidden ? { visibility: 'hidden' } : undefined}
        onError={() => ended && setHidden(true)}
      />
      <canvas
        ref={canvas}
        id="view"
        width={512}
        height={288}
        aria-label="overlay: masked regions and findings"
      />
      <div id="ended" role="status" hidden={!ended}>
        <strong>SOURCE ENDED</strong>
        <span id="ended-what">
          {live && ended
            ? `${live.source.kind} ${live.source.label} has ended: nothing more is analysed or recorded. ${live.framesAnalysed} frames analysed.`
            : ''}
        </span>
        <br />
        <span id="ended-recorded">{live && ended ? recordedLine(live, Date.now()) : ''}</span>
      </div>
    </div>
  );
}
