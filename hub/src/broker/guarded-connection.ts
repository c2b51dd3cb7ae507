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
    if (this.socket.write(chunk, encoding)) callback();
    else this.socket.once('drain', () => callback());
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.socket.end(() => callback());
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.socket.destroy();
    callback(err);
  }
}
