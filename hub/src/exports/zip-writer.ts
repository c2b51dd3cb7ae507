import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** Sizes, offsets and counts at or past these do not fit a plain ZIP's fields: ZIP64 records hold them. */
const MAX_32 = 0xffff_ffff;
const MAX_16 = 0xffff;
/** "Version needed to extract": 2.0 for plain stored files, 4.5 where ZIP64 records are used (APPNOTE 4.4.3). */
const VERSION_20 = 20;
const VERSION_45 = 45;
/** General purpose flags: bit 3, sizes and CRC in a data descriptor after the data; bit 11, UTF-8 names. */
const FLAGS = 0x0808;

/** Where the archive's bytes go, in order; awaited, so a slow sink slows the writer. */
export type ZipSink = (chunk: Buffer) => Promise<void>;

/** `auto`: ZIP64 records only where a size, offset or count needs them; `always`: everywhere (tests). */
export type Zip64Mode = 'auto' | 'always';

interface Entry {
  name: Buffer;
  offset: number;
  crc: number;
  size: number;
  dosTime: number;
  dosDate: number;
  zip64: boolean;
}

/**
 * A file whose bytes were put into the archive by other means (copied on the object store's server):
 * where they lie in it, and the CRC-32 they must have, to be checked on a read of the archive.
 */
export interface ZipUnseenFile {
  path: string;
  offset: number;
  bytes: number;
  crc32: number;
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
 * A ZIP archive written as a stream: each file is stored (video and JPEG do not compress, and the
 * rest is small) with its CRC-32 and size in a data descriptor after the bytes, so a file of unknown
 * size streams through and nothing is held but the current chunk; CRC-32 and SHA-256 are taken in
 * the same pass. A file or an archive past 4 GiB gets ZIP64 records (APPNOTE 4.3.9, 4.3.14, 4.5.3),
 * as Go's archive/zip writes them: a 64-bit data descriptor, a ZIP64 extra field in its central
 * directory entry, and a ZIP64 end of central directory record with its locator.
 */
export class ZipWriter {
  private readonly entries: Entry[] = [];
  private offset = 0;
  readonly files: ZipFileRecord[] = [];
  /** Files added by addUnseen(), whose bytes this writer did not see. */
  readonly unseen: ZipUnseenFile[] = [];

  constructor(
    private readonly sink: ZipSink,
    private readonly now = new Date(),
    private readonly zip64: Zip64Mode = 'auto',
  ) {}

  /** Bytes of the archive written so far. */
  get written(): number {
    return this.offset;
  }

  private async out(chunk: Buffer): Promise<void> {
    this.offset += chunk.length;
    await this.sink(chunk);
  }

  /** Writes a file's local header; returns its entry. */
  private async begin(path: string): Promise<Entry> {
    if (this.files.some((f) => f.path === path)) throw new Error(`${path} is in the archive already`);
    const name = Buffer.from(path, 'utf8');
    const { dosTime, dosDate } = dosDateTime(this.now);
    const entry: Entry = { name, offset: this.offset, crc: 0, size: 0, dosTime, dosDate, zip64: false };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(this.zip64 === 'always' ? VERSION_45 : VERSION_20, 4);
    local.writeUInt16LE(FLAGS, 6);
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    // CRC-32 and sizes stay 0 here (bit 3): the data descriptor and the central directory carry them.
    local.writeUInt16LE(name.length, 26);
    await this.out(Buffer.concat([local, name]));
    return entry;
  }

  /** Writes a file's data descriptor after its bytes and records it. */
  private async end(entry: Entry, record: ZipFileRecord): Promise<ZipFileRecord> {
    entry.zip64 = this.zip64 === 'always' || entry.size >= MAX_32 || entry.offset >= MAX_32;
    await this.out(dataDescriptor(entry));
    this.entries.push(entry);
    this.files.push(record);
    return record;
  }

  /** Adds one file from its bytes as they come. */
  async add(path: string, data: AsyncIterable<Uint8Array> | Uint8Array | string): Promise<ZipFileRecord> {
    const entry = await this.begin(path);
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
    return this.end(entry, { path, bytes: entry.size, sha256: hash.digest('hex') });
  }

  /**
   * Adds a file whose bytes `append` puts into the archive's sink by other means (a copy on the
   * object store's server), exactly `known.bytes` of them, with the CRC-32 and SHA-256 they are known
   * to have (measured when they were stored). This writer never sees them: the file is listed in
   * `unseen`, for the caller to check on a read of the finished archive.
   */
  async addUnseen(
    path: string,
    known: { bytes: number; crc32: number; sha256: string },
    append: () => Promise<void>,
  ): Promise<ZipFileRecord> {
    const entry = await this.begin(path);
    const offset = this.offset;
    await append();
    this.offset += known.bytes;
    entry.crc = known.crc32;
    entry.size = known.bytes;
    this.unseen.push({ path, offset, bytes: known.bytes, crc32: known.crc32 });
    return this.end(entry, { path, bytes: known.bytes, sha256: known.sha256 });
  }

  /** Writes the central directory (and the ZIP64 end records where needed); the archive is complete. */
  async finish(): Promise<void> {
    const start = this.offset;
    for (const e of this.entries) await this.out(centralEntry(e));
    const size = this.offset - start;
    const count = this.entries.length;
    const zip64 = this.zip64 === 'always' || count >= MAX_16 || start >= MAX_32 || size >= MAX_32;
    if (zip64) {
      const record = Buffer.alloc(56);
      record.writeUInt32LE(0x06064b50, 0);
      record.writeBigUInt64LE(44n, 4); // the record's size after this field
      record.writeUInt16LE(VERSION_45, 12); // made by
      record.writeUInt16LE(VERSION_45, 14); // needed
      // disk numbers (16, 20) stay 0: one disk
      record.writeBigUInt64LE(BigInt(count), 24);
      record.writeBigUInt64LE(BigInt(count), 32);
      record.writeBigUInt64LE(BigInt(size), 40);
      record.writeBigUInt64LE(BigInt(start), 48);
      const locator = Buffer.alloc(20);
      locator.writeUInt32LE(0x07064b50, 0);
      locator.writeBigUInt64LE(BigInt(this.offset), 8); // where the ZIP64 end record starts
      locator.writeUInt32LE(1, 16); // disks in all
      await this.out(Buffer.concat([record, locator]));
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(zip64 ? MAX_16 : count, 8);
    end.writeUInt16LE(zip64 ? MAX_16 : count, 10);
    end.writeUInt32LE(zip64 ? MAX_32 : size, 12);
    end.writeUInt32LE(zip64 ? MAX_32 : start, 16);
    await this.out(end);
  }
}

/** After a file's data: its CRC-32 and sizes, 64-bit for a ZIP64 entry (APPNOTE 4.3.9.1). */
function dataDescriptor(e: Entry): Buffer {
  const d = Buffer.alloc(e.zip64 ? 24 : 16);
  d.writeUInt32LE(0x08074b50, 0);
  d.writeUInt32LE(e.crc >>> 0, 4);
  if (e.zip64) {
    d.writeBigUInt64LE(BigInt(e.size), 8);
    d.writeBigUInt64LE(BigInt(e.size), 16);
  } else {
    d.writeUInt32LE(e.size, 8);
    d.writeUInt32LE(e.size, 12);
  }
  return d;
}

/**
 * A file's central directory entry. A ZIP64 entry marks its sizes and offset 0xFFFFFFFF and gives
 * them in a ZIP64 extended information extra field (tag 0x0001: size, compressed size, offset).
 */
function centralEntry(e: Entry): Buffer {
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(e.zip64 ? VERSION_45 : VERSION_20, 4); // made by (MS-DOS attributes)
  central.writeUInt16LE(e.zip64 ? VERSION_45 : VERSION_20, 6);
  central.writeUInt16LE(FLAGS, 8);
  central.writeUInt16LE(0, 10);
  central.writeUInt16LE(e.dosTime, 12);
  central.writeUInt16LE(e.dosDate, 14);
  central.writeUInt32LE(e.crc >>> 0, 16);
  central.writeUInt32LE(e.zip64 ? MAX_32 : e.size, 20);
  central.writeUInt32LE(e.zip64 ? MAX_32 : e.size, 24);
  central.writeUInt16LE(e.name.length, 28);
  central.writeUInt32LE(e.zip64 ? MAX_32 : e.offset, 42);
  if (!e.zip64) return Buffer.concat([central, e.name]);
  const extra = Buffer.alloc(28);
  extra.writeUInt16LE(0x0001, 0);
  extra.writeUInt16LE(24, 2);
  extra.writeBigUInt64LE(BigInt(e.size), 4);
  extra.writeBigUInt64LE(BigInt(e.size), 12);
  extra.writeBigUInt64LE(BigInt(e.offset), 20);
  central.writeUInt16LE(extra.length, 30);
  return Buffer.concat([central, e.name, extra]);
}

/**
 * Checks files added with addUnseen() on a read of the finished archive: `observe` takes its chunks
 * in order with their offsets; `verify` throws, naming the file, when one's bytes do not have the
 * CRC-32 its entry gives.
 */
export function unseenCheck(unseen: readonly ZipUnseenFile[]) {
  const crcs = unseen.map(() => 0);
  return {
    observe(chunk: Buffer, offset: number): void {
      unseen.forEach((f, i) => {
        const from = Math.max(f.offset, offset);
        const to = Math.min(f.offset + f.bytes, offset + chunk.length);
        if (from < to) crcs[i] = crc32(chunk.subarray(from - offset, to - offset), crcs[i]);
      });
    },
    verify(): void {
      unseen.forEach((f, i) => {
        if (crcs[i] !== f.crc32)
          throw new Error(
            `${f.path} read back from the archive with CRC-32 ${crcs[i]!.toString(16)}, not the ${f.crc32.toString(16)} it was stored with`,
          );
      });
    },
  };
}
