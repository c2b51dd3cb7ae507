import { describe, expect, it } from 'vitest';
import { routeTableApp } from '../testing/route-table-app.js';
import { auditedAction } from './audit-log.js';

/**
 * Routes that touch patient data or act on it, and every admin, fleet and sign-in action; each
 * declares exactly one audit record.
 */
const PATIENT_DATA =
  /^\/api\/v1\/(procedures|videos|chat|audit|retention|users|jobs|models|rollouts|devices\/(enrol|:id)|auth\/(login|logout|password|oidc\/(callback|exchange)))/;
/** Patient-data routes left unrecorded, and why. */
const UNRECORDED: Record<string, string> = {
  'GET /api/v1/videos/upload/sessions/:uploadId': 'where a resumable upload stands (its own, no content)',
  'PATCH /api/v1/videos/upload/sessions/:uploadId':
    'one chunk of an upload: its start and completion are recorded',
  'GET /api/v1/chat/status': 'the model status, no patient data',
};

describe('audited routes', () => {
  it('has every patient-data route declare exactly one audit record', () => {
    const app = routeTableApp('gic_hub_audit_test');
    const actions = new Map<string, string[]>();
    for (const r of app.routes) {
      if (r.method === 'ALL' || r.path.endsWith('*') || !PATIENT_DATA.test(r.path)) continue;
      const key = `${r.method} ${r.path}`;
      const list = actions.get(key) ?? [];
      const action = auditedAction(r.handler);
      if (action) list.push(action);
      actions.set(key, list);
    }
    const table = [...actions].map(([route, list]) => `${route} -> ${list.join(', ') || '(none)'}`);
    console.log(`audited routes (${table.length}):\n  ${table.join('\n  ')}`);
    const wrong = [...actions]
      .filter(([route, list]) => (route in UNRECORDED ? list.length !== 0 : list.length !== 1))
      .map(([route, list]) => `${route}: ${list.length} declarations`);
    expect(wrong).toEqual([]);
    expect(actions.size).toBeGreaterThanOrEqual(20);
  });
});
