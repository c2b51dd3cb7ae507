import { describe, expect, it } from 'vitest';
import { parseRoute, procedureHref } from './route.js';

describe('the portal routes', () => {
  it('reads the page from the fragment, and anything else is the list', () => {
    const id = '0b5f3c1e-2a4d-4c6b-9e8f-1a2b3c4d5e6f';
    expect(parseRoute(procedureHref(id))).toEqual({ page: 'procedure', id });
    expect(parseRoute('#/jobs')).toEqual({ page: 'jobs' });
    for (const hash of ['', '#', '#/', '#/procedures/not-an-id', '#/procedures/', '#/nowhere'])
      expect(parseRoute(hash), hash).toEqual({ page: 'list' });
  });
});
