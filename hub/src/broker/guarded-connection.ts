import { Duplex } from 'node:stream';
import { type FrameHeader, MqttFrameScanner } from './mqtt-frame-scanner.js';

/**
 * Puts a check in front of the broker: the returned stream carries the socket's bytes to the broker
 * and the broker's back, and `inspect` sees each MQTT packet's fixed header as soon as it arrives.
 * When `inspect` answers false (or the length encoding is invalid) the socket is destroyed before the
 * packet's body is read on, so an oversized packet is never buffered whole. Reading follows the
 * broker's pace (the socket is paused while the broker's buffer is full).
 */
export function guardConnection(socket: Duplex, inspect: (header: FrameHeader) => boolean): Duplex {
  return new GuardedConnection(socket, new MqttFrameScanner(inspect));
}

class GuardedConnection extends Duplex {
  /** The socket is corked until the end of this turn of the event loop. */
  private flushing = false;

  constructor(
    private readonly socket: Duplex,
    scanner: MqttFrameScanner,
  ) {
    super({ allowHalfOpen: false });
    socket.on('data', (chunk: Buffer) => {
      if (this.destroyed) return;
      if (!scanner.feed(chunk)) {
        this.destroy();
        return;
      }
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this._writev([{ chunk, encoding }], callback);
  }

  /**
   * What the broker writes goes out once a turn of the event loop, as one write: a device's backlog
   * arrives many PUBLISH packets to a read, and the broker answers each (PUBACK) and forwards it (to
   * the ingest) in a tick of its own; written as they came, each was a system call (the socket has
   * no delay), and those calls were most of the broker's CPU. One turn is well under a millisecond.
   */
  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    callback: (err?: Error | null) => void,
  ): void {
    if (!this.flushing) {
      this.flushing = true;
      this.socket.cork();
      setImmediate(() => {
        this.flushing = false;
        this.socket.uncork();
      });
    }
    let flowing = true;
    for (const { chunk, encoding } of chunks) flowing = this.socket.write(chunk, encoding);
    if (flowing) callback();
    else this.socket.once('drain', () => callback());
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.socket.end(() => callback());
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    // What waits for the end of the turn (a refusing CONNACK, say) goes out before the socket closes.
    if (this.flushing) {
      this.flushing = false;
      this.socket.uncork();
    }
    this.socket.destroy();
    callback(err);
  }
}
