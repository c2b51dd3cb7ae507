import { useEffect, useState } from 'preact/hooks';

/** The portal's pages, addressed by the URL's fragment so the hub serves one page for all of them. */
export type Route = { page: 'list' } | { page: 'procedure'; id: string } | { page: 'jobs' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const procedure = /^\/procedures\/([^/?]+)$/.exec(path);
  if (procedure && UUID.test(procedure[1]!)) return { page: 'procedure', id: procedure[1]! };
  if (path === '/jobs') return { page: 'jobs' };
  return { page: 'list' };
}

export const procedureHref = (id: string) => `#/procedures/${id}`;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
