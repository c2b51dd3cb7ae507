import { Writable } from 'node:stream';

/**
 * The box's latest log lines in memory, up to `maxBytes` (the edge logs to standard output and writes
 * no file of its own): what a `collect-logs` command sends the hub. Written to beside standard output.
 */
export class RecentLog extends Writable {
  private lines: string[] = [];
  private bytes = 0;

  constructor(private readonly maxBytes = 256 * 1024) {
    super({ decodeStrings: false });
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      this.lines.push(line);
      this.bytes += line.length + 1;
    }
    while (this.bytes > this.maxBytes && this.lines.length > 1) this.bytes -= this.lines.shift()!.length + 1;
    done();
  }

  /** The lines held, oldest first, as one text. */
  text(): string {
    return this.lines.map((l) => `${l}\n`).join('');
  }
}
