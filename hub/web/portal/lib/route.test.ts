import { describe, expect, it } from 'vitest';
import { deviceHref, parseRoute, procedureHref, rolloutHref } from './route.js';

describe('the portal routes', () => {
  it('reads the page from the fragment, and anything else is the list', () => {
    const id = '0b5f3c1e-2a4d-4c6b-9e8f-1a2b3c4d5e6f';
    expect(parseRoute(procedureHref(id))).toEqual({ page: 'procedure', id });
    expect(parseRoute('#/jobs')).toEqual({ page: 'jobs' });
    expect(parseRoute('#/devices')).toEqual({ page: 'fleet' });
    expect(parseRoute(deviceHref('edge-0a1b2c3d4e5f'))).toEqual({ page: 'device', id: 'edge-0a1b2c3d4e5f' });
    expect(parseRoute('#/rollouts')).toEqual({ page: 'rollouts' });
    expect(parseRoute(rolloutHref(id))).toEqual({ page: 'rollout', id });
    for (const hash of [
      '',
      '#',
      '#/',
      '#/procedures/not-an-id',
      '#/procedures/',
      '#/nowhere',
      '#/devices/Not_An_Id',
      '#/devices/',
      '#/rollouts/not-an-id',
      '#/rollouts/',
    ])
      expect(parseRoute(hash), hash).toEqual({ page: 'list' });
  });
});
