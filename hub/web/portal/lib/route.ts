import { useEffect, useState } from 'preact/hooks';

/** The portal's pages, addressed by the URL's fragment so the hub serves one page for all of them. */
export type Route =
  | { page: 'list' }
  | { page: 'procedure'; id: string }
  | { page: 'jobs' }
  | { page: 'fleet' }
  | { page: 'device'; id: string }
  | { page: 'rollouts' }
  | { page: 'rollout'; id: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A device id as the hub gives it (provisioning's deviceIdSchema). */
const DEVICE_ID = /^[a-z0-9][a-z0-9-]{2,62}$/;

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const procedure = /^\/procedures\/([^/?]+)$/.exec(path);
  if (procedure && UUID.test(procedure[1]!)) return { page: 'procedure', id: procedure[1]! };
  if (path === '/jobs') return { page: 'jobs' };
  if (path === '/devices') return { page: 'fleet' };
  const device = /^\/devices\/([^/?]+)$/.exec(path);
  if (device && DEVICE_ID.test(device[1]!)) return { page: 'device', id: device[1]! };
  if (path === '/rollouts') return { page: 'rollouts' };
  const rollout = /^\/rollouts\/([^/?]+)$/.exec(path);
  if (rollout && UUID.test(rollout[1]!)) return { page: 'rollout', id: rollout[1]! };
  return { page: 'list' };
}

export const procedureHref = (id: string) => `#/procedures/${id}`;
export const deviceHref = (id: string) => `#/devices/${id}`;
export const rolloutHref = (id: string) => `#/rollouts/${id}`;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
