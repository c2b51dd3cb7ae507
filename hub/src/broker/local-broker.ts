import type { Aedes, AedesPublishPacket } from 'aedes';

/** A message as the broker routes it: its topic and its bytes. */
export type LocalMessageHandler = (topic: string, payload: Buffer) => void;

/**
 * The embedded broker, seen from a part of the hub in the same process (the ingest): it subscribes
 * and publishes through the broker's own router, so what a device sends reaches it without being
 * written to a loopback socket, parsed again and acknowledged packet by packet. Devices and MQTT
 * clients elsewhere see no difference: a publish here goes to their subscriptions as the broker's own.
 */
export interface LocalBroker {
  /**
   * Hands `onMessage` every message published on any of `filters` (MQTT filters, `+` and `#`), in
   * the order the broker routes them, and then the retained ones already held, as a new MQTT
   * subscriber gets them (one that arrives meanwhile may come twice). Resolves with the unsubscribe
   * once subscribed.
   */
  subscribe(filters: string[], onMessage: LocalMessageHandler): Promise<() => Promise<void>>;
  /** Publishes as the broker itself, at QoS 1 to subscribers that asked for it; never retained. */
  publish(topic: string, payload: string): Promise<void>;
}

interface RetainedStore {
  createRetainedStreamCombi(filters: string[]): AsyncIterable<AedesPublishPacket>;
}

export function localBroker(broker: Aedes): LocalBroker {
  return {
    async subscribe(filters, onMessage) {
      const deliver = (packet: AedesPublishPacket, done: () => void) => {
        // The broker's own $SYS announcements match no device filter; a topic is never empty here.
        onMessage(packet.topic, toBuffer(packet.payload));
        done();
      };
      await Promise.all(filters.map((f) => new Promise<void>((r) => broker.subscribe(f, deliver, r))));
      // aedes's types leave out its persistence, which holds the retained messages.
      const { persistence } = broker as unknown as { persistence: RetainedStore };
      const retained = persistence.createRetainedStreamCombi(filters);
      for await (const packet of retained) onMessage(packet.topic, toBuffer(packet.payload));
      return async () => {
        await Promise.all(filters.map((f) => new Promise<void>((r) => broker.unsubscribe(f, deliver, r))));
      };
    },
    publish(topic, payload) {
      return new Promise((resolve, reject) =>
        broker.publish(
          { cmd: 'publish', topic, payload: Buffer.from(payload, 'utf8'), qos: 1, retain: false, dup: false },
          (err) => (err ? reject(err) : resolve()),
        ),
      );
    },
  };
}

function toBuffer(payload: AedesPublishPacket['payload']): Buffer {
  if (Buffer.isBuffer(payload)) return payload;
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
}
