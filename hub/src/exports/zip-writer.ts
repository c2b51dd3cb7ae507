import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** The most a plain (not ZIP64) archive can hold: sizes and offsets are 32-bit. */
const MAX_32 = 0xffff_ffff;

/** Where the archive's bytes go, in order; awaited, so a slow sink slows the writer. */
export type ZipSink = (chunk: Buffer) => Promise<void>;

interface Entry {
  name: Buffer;
  offset: number;
  crc: number;
  size: number;
  dosTime: number;
  dosDate: number;
}

/** What was written of one file: its path, size and SHA-256 (for the manifest). */
export interface ZipFileRecord {
  path: string;
  bytes: number;
  sha256: string;
}

function dosDateTime(d: Date): { dosTime: number; dosDate: number } {
  return {
    dosTime: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    dosDate: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

/**
 * A ZIP archive written as a stream: each file is stored (video and JPEG do not compress) with its
 * CRC-32 and size in a data descriptor after the bytes, so a file of unknown size streams through
 * and nothing is held but the current chunk. Plain ZIP: an archive past 4 GiB is refused with a clear
 * error rather than written wrong.
 */
export class ZipWriter {
  private readonly entries: Entry[] = [];
  private offset = 0;
  readonly files: ZipFileRecord[] = [];

  constructor(
    private readonly sink: ZipSink,
    private readonly now = new Date(),
  ) {}

  private async out(chunk: Buffer): Promise<void> {
    this.offset += chunk.length;
    if (this.offset > MAX_32) throw new Error('the export would pass 4 GiB, more than a plain ZIP holds');
    await this.sink(chunk);
  }

  /** Adds one file from its bytes as they come. */
  async add(path: string, data: AsyncIterable<Uint8Array> | Uint8Array | string): Promise<ZipFileRecord> {
    if (this.files.some((f) => f.path === path)) throw new Error(`${path} is in the archive already`);
    const name = Buffer.from(path, 'utf8');
    const { dosTime, dosDate } = dosDateTime(this.now);
    const entry: Entry = { name, offset: this.offset, crc: 0, size: 0, dosTime, dosDate };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0
    local.writeUInt16LE(0x0808, 6); // bit 3: sizes in the data descriptor; bit 11: UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt16LE(name.length, 26);
    await this.out(Buffer.concat([local, name]));
    const hash = createHash('sha256');
    const chunks =
      typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
    for await (const c of chunks) {
      const chunk = Buffer.from(c.buffer, c.byteOffset, c.byteLength);
      entry.crc = crc32(chunk, entry.crc);
      entry.size += chunk.length;
      hash.update(chunk);
      await this.out(chunk);
    }
    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(entry.crc >>> 0, 4);
    descriptor.writeUInt32LE(entry.size, 8);
    descriptor.writeUInt32LE(entry.size, 12);
    await this.out(descriptor);
    this.entries.push(entry);
    const record = { path, bytes: entry.size, sha256: hash.digest('hex') };
    this.files.push(record);
    return record;
  }

  /** Writes the central directory; the archive is complete. */
  async finish(): Promise<void> {
    const start = this.offset;
    for (const e of this.entries) {
      const central = Buffer.alloc(46);
      central.writeUInt32LE(0x02014b50, 0);
      central.writeUInt16LE(20, 4); // made by: 2.0
      central.writeUInt16LE(20, 6);
      central.writeUInt16LE(0x0808, 8);
      central.writeUInt16LE(0, 10);
      central.writeUInt16LE(e.dosTime, 12);
      central.writeUInt16LE(e.dosDate, 14);
      central.writeUInt32LE(e.crc >>> 0, 16);
      central.writeUInt32LE(e.size, 20);
      central.writeUInt32LE(e.size, 24);
      central.writeUInt16LE(e.name.length, 28);
      central.writeUInt32LE(e.offset, 42);
      await this.out(Buffer.concat([central, e.name]));
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(this.entries.length, 8);
    end.writeUInt16LE(this.entries.length, 10);
    end.writeUInt32LE(this.offset - start, 12);
    end.writeUInt32LE(start, 16);
    await this.out(end);
  }
}
