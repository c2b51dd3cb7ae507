import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Playback, ProcedureSummary, Timeline } from '../../../src/procedures/procedure-view-types.js';
import { ChatPanel } from '../components/chat-panel.js';
import { ExportPanel } from '../components/export-panel.js';
import { ProcessingPanel } from '../components/processing-panel.js';
import { QualityChart } from '../components/quality-chart.js';
import { KeyFrameStrip, SummaryPanel } from '../components/summary-panel.js';
import { TimelineView } from '../components/timeline-view.js';
import { type PlayerHandle, VideoPlayer } from '../components/video-player.js';
import { api, describeError, type Session } from '../lib/api.js';
import { clock, recordingLine, startedBy, withdrawal } from '../lib/format.js';
import { timelineOffsetMs } from '../lib/playlist.js';
import { timelineFromSummary } from '../lib/summary-timeline.js';
import { type VideoSummary, videoPath } from '../lib/video-api.js';

/** Presigned URLs are asked for again this long before they expire (s). */
const RENEW_MARGIN_S = 60;

/**
 * One procedure for review: the video (all its segments as one), the timeline under it where every
 * mark seeks the video, the quality chart, key frames, the chat (the review's and the room's, whose
 * cited times seek the video too), summary, processing and export.
 */
export function ProcedurePage({ session, id }: { session: Session; id: string }) {
  const [procedure, setProcedure] = useState<ProcedureSummary | null>(null);
  const [timeline, setTimeline] = useState<Timeline | null>(null);
  const [playback, setPlayback] = useState<Playback | null>(null);
  const [error, setError] = useState('');
  const [videoMs, setVideoMs] = useState(0);
  const [totalVideoMs, setTotalVideoMs] = useState<number | null>(null);
  const player = useRef<PlayerHandle>(null);

  useEffect(() => {
    let live = true;
    setError('');
    Promise.all([
      api<ProcedureSummary>(session, `/api/v1/procedures/${id}`),
      api<Timeline>(session, `/api/v1/procedures/${id}/timeline`),
    ])
      .then(([p, t]) => {
        if (!live) return;
        setProcedure(p);
        setTimeline(t);
      })
      .catch((err) => live && setError(describeError(err)));
    return () => {
      live = false;
    };
  }, [session, id]);
  useEffect(() => {
    let live = true;
    let renew: ReturnType<typeof setTimeout> | undefined;
    const load = () =>
      api<Playback>(session, `/api/v1/procedures/${id}/playback`)
        .then((p) => {
          if (!live) return;
          setPlayback(p);
          renew = setTimeout(load, Math.max(30, p.expiresInSeconds - RENEW_MARGIN_S) * 1000);
        })
        .catch((err) => live && setError(describeError(err)));
    load();
    return () => {
      live = false;
      clearTimeout(renew);
    };
  }, [session, id]);

  // No room analyses (an uploaded video): the processing summary's timeline, on the video's own axis.
  const [fromSummary, setFromSummary] = useState<Timeline | null>(null);
  const roomless = timeline !== null && timeline.quality.length === 0;
  useEffect(() => {
    if (!roomless) return;
    let live = true;
    api<VideoSummary>(session, videoPath(id, '/summary'))
      .then((s) => live && setFromSummary(timelineFromSummary(s)))
      .catch(() => {}); // none yet: the summary panel says why
    return () => {
      live = false;
    };
  }, [session, id, roomless]);
  const shown = roomless && fromSummary ? fromSummary : timeline;
  const offset =
    timeline && !roomless
      ? timelineOffsetMs(totalVideoMs, timeline.durationMs, {
          videoStartedAt: playback?.segments[0]?.startedAt,
          timelineStartedAt: timeline.startedAt,
        })
      : 0;
  const seekVideo = useCallback((ms: number) => player.current?.seek(ms), []);
  const seekTimeline = useCallback((tMs: number) => player.current?.seek(tMs + offset), [offset]);
  const onTotal = useCallback((ms: number | null) => setTotalVideoMs(ms), []);

  if (error)
    return (
      <p class="error" role="alert" id="procedure-error">
        {`Procedure ${id}: ${error}`}
      </p>
    );
  if (!procedure || !timeline || !shown) return <p class="muted">Loading…</p>;
  return (
    <article id="procedure" data-procedure-id={procedure.id} data-offset-ms={String(Math.round(offset))}>
      <p>
        <a href="#/">← Procedures</a>
      </p>
      <h2>{`${procedure.deviceName}, ${procedure.startedAt ? new Date(procedure.startedAt).toLocaleString() : 'not started'}`}</h2>
      <dl class="facts">
        <dt>Duration</dt>
        <dd>{procedure.durationSeconds === null ? '-' : clock(procedure.durationSeconds * 1000)}</dd>
        <dt>Withdrawal</dt>
        <dd>{withdrawal(procedure.withdrawalSeconds)}</dd>
        <dt>Started by</dt>
        <dd>{startedBy(procedure)}</dd>
        <dt>Recording</dt>
        <dd>{recordingLine(procedure)}</dd>
        <dt>State</dt>
        <dd>
          <span class={`state ${procedure.syncState}`}>{procedure.syncState}</span>
        </dd>
      </dl>
      <div class="review">
        <div class="main-column">
          {playback ? (
            <VideoPlayer playback={playback} handle={player} onTime={setVideoMs} onTotal={onTotal} />
          ) : (
            <p class="muted">Loading the video…</p>
          )}
          {playback?.missing.map((m) => (
            <p key={m.segmentIndex} class="notice">{`Segment ${m.segmentIndex + 1}: ${m.reason}`}</p>
          ))}
          <TimelineView timeline={shown} positionMs={videoMs - offset} onSeek={seekTimeline} />
          <QualityChart timeline={shown} positionMs={videoMs - offset} onSeek={seekTimeline} />
          <KeyFrameStrip session={session} id={id} onSeek={seekVideo} />
          <ChatPanel session={session} id={id} positionMs={videoMs - offset} onSeek={seekTimeline} />
        </div>
        <aside>
          <SummaryPanel session={session} id={id} />
          <ProcessingPanel session={session} id={id} />
          <ExportPanel session={session} id={id} />
        </aside>
      </div>
    </article>
  );
}
