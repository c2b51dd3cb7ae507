/** What the broker lets one connection send. */
export interface BrokerLimits {
  /** Largest packet accepted (bytes on the wire); a larger one closes the connection. */
  maxPacketBytes: number;
  /** PUBLISH packets per second a device may send on average, and at once. */
  messagesPerSecond: number;
  messageBurst: number;
  /** PUBLISH bytes per second a device may send on average, and at once. */
  bytesPerSecond: number;
  byteBurst: number;
}

/**
 * The embedded broker's limits when none are given, and the defaults of the GIC_MQTT_* settings
 * (config.ts) that set them: above what a draining edge sends (bench/sync.mjs).
 */
export const DEFAULT_BROKER_LIMITS: BrokerLimits = {
  maxPacketBytes: 256 * 1024,
  messagesPerSecond: 20_000,
  messageBurst: 200_000,
  bytesPerSecond: 16 * 1024 * 1024,
  byteBurst: 64 * 1024 * 1024,
};
