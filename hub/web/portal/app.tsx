import { useEffect, useState } from 'preact/hooks';
import { loadSession, type Session, saveSession, signOut, whenUnauthorized } from './lib/api.js';
import { can } from './lib/permissions.js';
import { useRoute } from './lib/route.js';
import { ChangePassword } from './pages/change-password.js';
import { DevicePage } from './pages/device-page.js';
import { FleetPage } from './pages/fleet-page.js';
import { JobsPage } from './pages/jobs-page.js';
import { ProcedureList } from './pages/procedure-list.js';
import { ProcedurePage } from './pages/procedure-page.js';
import { RolloutPage } from './pages/rollout-page.js';
import { RolloutsPage } from './pages/rollouts-page.js';
import { SignIn } from './pages/sign-in.js';

/**
 * The hub's review portal: sign in, the procedures from every room (filtered, paged), a procedure's
 * review page (video, timeline, summary, processing, export), for admins the jobs page, and for
 * admins and fleet operators the fleet (devices, and a device's telemetry charts, configuration
 * and commands), and for those who manage models their rollouts. Served
 * whole by the hub (no CDN, no web font: a hospital network may have no internet).
 */
export function App() {
  const [session, setSession] = useState<Session | null>(loadSession);
  // Until an admin-set password is changed, the portal shows nothing else.
  const ready = session !== null && !session.mustChangePassword;
  const route = useRoute();
  const change = (s: Session | null) => {
    saveSession(s);
    setSession(s);
  };
  useEffect(() => whenUnauthorized(() => change(null)), []);

  return (
    <>
      <header>
        <h1>
          <a href="#/">GI Copilot</a>
        </h1>
        {session && (
          <nav>
            <a href="#/">Procedures</a>
            {session.role === 'admin' && <a href="#/jobs">Jobs</a>}
            {can(session, 'devices.read') && <a href="#/devices">Fleet</a>}
            {can(session, 'models.manage') && <a href="#/rollouts">Rollouts</a>}
            <span id="who" class="muted">
              {`${session.username} (${session.role})`}
            </span>
            <button
              type="button"
              id="signout"
              onClick={async () => {
                await signOut(session);
                change(null);
              }}
            >
              Sign out
            </button>
          </nav>
        )}
      </header>
      <main>
        <SignIn hidden={session !== null} onSignedIn={change} />
        {session?.mustChangePassword && <ChangePassword session={session} onChanged={change} />}
        <section id="list" hidden={!ready || route.page !== 'list'}>
          {/* Kept while another page shows, so its filters and page are there on the way back. */}
          {ready && <ProcedureList session={session} active={route.page === 'list'} />}
        </section>
        {ready && route.page === 'procedure' && <ProcedurePage session={session} id={route.id} />}
        {ready && route.page === 'jobs' && <JobsPage session={session} />}
        {ready && route.page === 'fleet' && <FleetPage session={session} />}
        {ready && route.page === 'device' && <DevicePage session={session} id={route.id} />}
        {ready && route.page === 'rollouts' && <RolloutsPage session={session} />}
        {ready && route.page === 'rollout' && <RolloutPage session={session} id={route.id} />}
      </main>
    </>
  );
}
