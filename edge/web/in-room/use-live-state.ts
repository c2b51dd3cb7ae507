import { useEffect, useState } from 'preact/hooks';
import type { LiveState } from './live-types.js';

const POLL_MS = 1000;
const RECONNECT_MS = 1000;

/**
 * The live state, pushed by the box over a WebSocket; while that is down it is polled each second and
 * the socket reconnected. The page's root element says which (`data-live`: websocket or polling), so a
 * person (and a test) can tell a live screen from a stale one.
 */
export function useLiveState(): LiveState | null {
  const [state, setState] = useState<LiveState | null>(null);
  useEffect(() => {
    let socket: WebSocket | null = null;
    let stopped = false;
    let reconnect: ReturnType<typeof setTimeout> | undefined;
    const mark = (how: 'websocket' | 'polling') => {
      document.documentElement.dataset.live = how;
    };
    const connect = () => {
      const ws = new WebSocket(
        `${location.protocol === 'https:' ? 'wss://' : 'ws://'}${location.host}/api/v1/realtime/ws`,
      );
      socket = ws;
      ws.onopen = () => mark('websocket');
      ws.onmessage = (e) => {
        try {
          setState(JSON.parse(String(e.data)) as LiveState);
        } catch {
          // A malformed message is skipped; the next one replaces it.
        }
      };
      ws.onclose = () => {
        socket = null;
        mark('polling');
        if (!stopped) reconnect = setTimeout(connect, RECONNECT_MS);
      };
    };
    mark('polling');
    connect();
    const poll = setInterval(() => {
      if (socket?.readyState === WebSocket.OPEN) return;
      fetch('/api/v1/realtime/analysis')
        .then((r) => r.json() as Promise<LiveState>)
        .then(setState)
        .catch(() => {});
    }, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(poll);
      clearTimeout(reconnect);
      socket?.close();
    };
  }, []);
  return state;
}

/** A clock that ticks each second, for timers between live messages. */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}
