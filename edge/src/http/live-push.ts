import type { Server } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';

export const LIVE_WS_PATH = '/api/v1/realtime/ws';
const BOUNDARY = 'gicframe';

/**
 * Pushes live analysis to the in-room screens over WebSocket and serves the preview as MJPEG
 * (`multipart/x-mixed-replace`, which browsers show in a plain <img>). Slow screens are skipped
 * rather than queued: the room wants the latest state, not a backlog.
 */
export class LivePush {
  private wss?: WebSocketServer;
  private latestJpeg?: Buffer;
  private readonly previewListeners = new Set<(jpeg: Buffer) => void>();

  /** Accepts WebSocket upgrades on LIVE_WS_PATH of this HTTP server. */
  attach(server: Server, snapshot: () => unknown): void {
    this.wss = new WebSocketServer({ server, path: LIVE_WS_PATH, maxPayload: 4096 });
    // The HTTP server's own errors are re-emitted here; that server's handler reports them.
    this.wss.on('error', () => {});
    this.wss.on('connection', (socket) => {
      socket.send(JSON.stringify({ type: 'live', ...(snapshot() as object) }));
      socket.on('message', () => {}); // the screen sends nothing we act on
      socket.on('error', () => socket.terminate());
    });
  }

  /** Sends to every connected screen; one with 1 MiB already waiting is skipped this time. */
  broadcast(message: object): void {
    if (!this.wss) return;
    const text = JSON.stringify(message);
    for (const socket of this.wss.clients) {
      if (socket.readyState === WebSocket.OPEN && socket.bufferedAmount < 1024 * 1024) socket.send(text);
    }
  }

  get screens(): number {
    return this.wss?.clients.size ?? 0;
  }

  preview(jpeg: Buffer): void {
    this.latestJpeg = jpeg;
    for (const listener of this.previewListeners) listener(jpeg);
  }

  get latestPreview(): Buffer | undefined {
    return this.latestJpeg;
  }

  /** An MJPEG response that sends every new preview frame until the client goes away. */
  mjpegResponse(): Response {
    let listener: ((jpeg: Buffer) => void) | undefined;
    const stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          listener = (jpeg) => {
            if ((controller.desiredSize ?? 0) <= 0) return; // the client is behind: skip this frame
            controller.enqueue(
              Buffer.concat([
                Buffer.from(
                  `--${BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`,
                ),
                jpeg,
                Buffer.from('\r\n'),
              ]),
            );
          };
          this.previewListeners.add(listener);
          if (this.latestJpeg) listener(this.latestJpeg);
        },
        cancel: () => {
          if (listener) this.previewListeners.delete(listener);
        },
      },
      { highWaterMark: 2 },
    );
    return new Response(stream, {
      headers: {
        'content-type': `multipart/x-mixed-replace; boundary=${BOUNDARY}`,
        'cache-control': 'no-store',
      },
    });
  }

  close(): Promise<void> {
    for (const socket of this.wss?.clients ?? []) socket.terminate();
    this.previewListeners.clear();
    return new Promise((resolve) => (this.wss ? this.wss.close(() => resolve()) : resolve()));
  }
}
