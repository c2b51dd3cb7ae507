/** MQTT control packet type of PUBLISH (the high nibble of the fixed header's first byte). */
export const MQTT_PUBLISH = 3;

/** A packet's fixed header as soon as it is read: its type and its whole size in bytes. */
export interface FrameHeader {
  type: number;
  /** Fixed header plus remaining length: the bytes the packet occupies on the wire. */
  bytes: number;
}

/**
 * Follows the MQTT packet boundaries in a byte stream without buffering the packets: it reads each
 * fixed header (type byte and the 1 to 4 byte remaining length, MQTT 3.1.1 section 2.2) and skips the
 * rest. `feed` calls `onHeader` for each header as soon as its length is known, before the body has
 * arrived, so a caller can refuse a packet that announces itself too large. `onHeader` returning
 * false stops the scan (the rest of the chunk is not examined).
 */
export class MqttFrameScanner {
  /** Bytes still to skip of the current packet's body. */
  private skip = 0;
  private type = -1;
  private length = 0;
  private lengthBytes = 0;
  private multiplier = 1;

  constructor(private readonly onHeader: (header: FrameHeader) => boolean) {}

  /** Scans one chunk. Returns false when `onHeader` stopped the scan or the length encoding is invalid. */
  feed(chunk: Uint8Array): boolean {
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      const byte = chunk[i++]!;
      if (this.type < 0) {
        this.type = byte >> 4;
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes++;
      if (byte & 0x80) {
        // The remaining length takes at most four bytes.
        if (this.lengthBytes >= 4) return false;
        continue;
      }
      const header = { type: this.type, bytes: 1 + this.lengthBytes + this.length };
      this.skip = this.length;
      this.type = -1;
      this.length = 0;
      this.lengthBytes = 0;
      this.multiplier = 1;
      if (!this.onHeader(header)) return false;
    }
    return true;
  }
}
