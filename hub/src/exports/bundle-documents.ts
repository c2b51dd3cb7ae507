import type { FrameAnalysis } from '@gic/shared/messages/events.js';
import type { VideoSummary } from '../batch/summary-builder.js';

/** One row per analysed frame, for a spreadsheet. */
export function bundleCsv(analyses: FrameAnalysis[]): string {
  const header = 'tMs,inBody,blurred,exposure,sharpness,brightness,findings,bestFindingScore,privacyRegions';
  const rows = analyses.map((a) =>
    [
      a.ptsMs,
      a.quality.inBody,
      a.quality.blurred,
      a.quality.exposure,
      a.quality.sharpness.toFixed(2),
      a.quality.brightness.toFixed(3),
      a.detections.length,
      a.detections.length ? Math.max(...a.detections.map((d) => d.score)).toFixed(3) : '',
      a.privacyRegions.length,
    ].join(','),
  );
  return `${[header, ...rows].join('\n')}\n`;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The summary in Markdown. */
export function summaryMarkdown(s: VideoSummary | undefined): string {
  if (!s) return '# Summary\n\nThis procedure has not been processed: there is no summary.\n';
  return [
    '# Summary',
    '',
    '## Findings',
    ...(s.findings.length
      ? s.findings.map((f) => `- ${f.kind} at ${seconds(f.tMs)} (score ${f.score.toFixed(2)})`)
      : ['- none']),
    '',
    '## Phases',
    ...s.phases.map((p) => `- ${p.name}: ${seconds(p.startMs)} to ${seconds(p.endMs)}`),
    '',
    `Withdrawal time: ${s.withdrawalMs === null ? 'unknown' : seconds(s.withdrawalMs)}`,
    '',
    `## Notes (${s.notes.source === 'vlm' ? 'vision-language model' : 'built from the data'})`,
    '',
    s.notes.text,
    '',
  ].join('\n');
}

const escapeHtml = (t: string) =>
  t.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The summary as a page that opens anywhere (no scripts, no external resources). */
export function summaryHtml(s: VideoSummary | undefined): string {
  const body = summaryMarkdown(s)
    .split('\n')
    .map((line) =>
      line.startsWith('## ')
        ? `<h2>${escapeHtml(line.slice(3))}</h2>`
        : line.startsWith('# ')
          ? `<h1>${escapeHtml(line.slice(2))}</h1>`
          : line.startsWith('- ')
            ? `<li>${escapeHtml(line.slice(2))}</li>`
            : line
              ? `<p>${escapeHtml(line)}</p>`
              : '',
    )
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Summary</title></head><body>\n${body}\n</body></html>\n`;
}

export function transcriptMarkdown(messages: { tMs: number | null; role: string; text: string }[]): string {
  if (messages.length === 0) return '# Chat\n\nNo messages.\n';
  return `# Chat\n\n${messages.map((m) => `**${m.role}** (${m.tMs === null ? '?' : seconds(m.tMs)}): ${m.text}`).join('\n\n')}\n`;
}
