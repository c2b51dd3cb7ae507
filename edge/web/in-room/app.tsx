import { useEffect, useState } from 'preact/hooks';
import { AlertList } from './components/alert-list.js';
import { ChatPanel } from './components/chat-panel.js';
import { FindingsList } from './components/findings-list.js';
import { FrameFindingsPanel } from './components/frame-findings-panel.js';
import { LiveStats } from './components/live-stats.js';
import { LiveView } from './components/live-view.js';
import { OperatorPanel } from './components/operator-panel.js';
import { PrivacyPanel } from './components/privacy-panel.js';
import { ProcedurePanel } from './components/procedure-panel.js';
import { problems, sourceLine } from './format.js';
import { useLiveState, useNow } from './use-live-state.js';

/**
 * The in-room screen for a second monitor: large type readable across the room, the live analysis
 * (quality, masked text regions drawn over the picture, models on and off), alerts, procedure timer,
 * sync state, the educational chat and the privacy panel. Everything it loads comes from the box (the room may be offline).
 */
export function App() {
  const live = useLiveState();
  const now = useNow();
  // Who acts from this screen: the signed-in endoscopist, else the screen itself. The box's word wins
  // whenever it changes (another screen, or the API, signed someone in or out).
  const [operator, setOperator] = useState<string | null>(null);
  const boxOperator = live?.operator ?? null;
  useEffect(() => setOperator(boxOperator), [boxOperator]);
  const banner = live ? problems(live) : [];

  return (
    <>
      <h1>
        GI Copilot{' '}
        <span id="source" class="label">
          {live ? sourceLine(live) : ''}
        </span>
      </h1>
      <div id="banner" role="alert" class={banner.length ? 'show' : ''}>
        {banner.join(' | ')}
      </div>
      <section class="panel">
        <LiveView live={live} />
        <p class="label">
          Grey boxes: on-screen text found and masked before anything is stored or sent. Green: findings.
        </p>
        <div class="label">Alerts</div>
        <AlertList alerts={live?.alerts ?? []} actor={operator || 'in-room screen'} />
        <div class="label spaced">Findings this procedure</div>
        <FindingsList findings={live?.findings ?? []} />
      </section>
      <section class="panel">
        <OperatorPanel operator={operator} onChange={setOperator} />
        <ProcedurePanel live={live} operator={operator} now={now} />
        <LiveStats live={live} />
      </section>
      <FrameFindingsPanel state={live?.frameFindings} />
      <ChatPanel procedureId={live?.procedure?.id ?? null} operator={operator} />
      <PrivacyPanel latest={live?.latest ?? null} operator={operator} />
    </>
  );
}
