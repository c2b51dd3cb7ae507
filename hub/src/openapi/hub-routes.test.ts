import { describe, expect, it } from 'vitest';
import { isPermission } from '../auth/permissions.js';
import { guardPermission } from '../http/auth-middleware.js';
import { routeTableApp } from '../testing/route-table-app.js';
import { HUB_ROUTES } from './hub-routes.js';

const routeTable = () => routeTableApp('gic_hub_openapi_test');

describe('OpenAPI document', () => {
  it('describes every route the hub serves, and no route it does not', () => {
    const app = routeTable();
    const served = new Set(
      app.routes
        .filter((r) => r.method !== 'ALL' && !r.path.endsWith('*'))
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`),
    );
    const documented = new Set(HUB_ROUTES.map((r) => `${r.method} ${r.path}`));
    expect(
      [...served].filter((r) => !documented.has(r)),
      'routes missing from the OpenAPI document',
    ).toEqual([]);
    expect(
      [...documented].filter((r) => !served.has(r)),
      'documented routes the hub does not serve',
    ).toEqual([]);
  });

  it("guards every person's route with the permission it declares, and no other route", () => {
    const routes = routeTable().routes;
    const pattern = (path: string) =>
      new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/\/\*$/, '(/.*)?').replace(/:\w+/g, '[^/]+')}$`);
    const mismatches: string[] = [];
    for (const doc of HUB_ROUTES) {
      const path = doc.path.replace(/\{(\w+)\}/g, ':$1');
      const guards = routes
        .filter(
          (r) =>
            (r.method === 'ALL' || r.method.toLowerCase() === doc.method) &&
            (r.path === path || (r.path.endsWith('*') && pattern(r.path).test(path))),
        )
        .map((r) => guardPermission.get(r.handler as never))
        .filter((p) => p !== undefined);
      const declared = isPermission(doc.auth) ? [doc.auth] : [];
      if (JSON.stringify(guards) !== JSON.stringify(declared))
        mismatches.push(`${doc.method} ${doc.path}: declares ${doc.auth}, guarded by [${guards.join(', ')}]`);
    }
    expect(mismatches).toEqual([]);
    const guarded = HUB_ROUTES.filter((r) => isPermission(r.auth)).length;
    console.info(`${guarded} of ${HUB_ROUTES.length} routes need a person's permission; each guard matches`);
  });

  it('is served at /api/v1/openapi.json with the request schemas that validate the bodies', async () => {
    const res = await routeTable().request('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>
      >;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(
      doc.paths['/api/v1/auth/login']!.post!.requestBody!.content['application/json']!.schema,
    ).toMatchObject({
      type: 'object',
      properties: { username: { type: 'string' }, password: { type: 'string' } },
      required: ['username', 'password'],
    });
    expect(
      doc.paths['/api/v1/videos/upload/sessions']!.post!.requestBody!.content['application/json']!.schema,
    ).toMatchObject({ properties: { bytes: { type: 'integer' } } });
    expect(
      doc.paths['/api/v1/videos/upload']!.post!.requestBody!.content['application/octet-stream'],
    ).toBeDefined();
  });
});
