import type { HubConfig } from './config.js';

/** Whether a host is this machine only: 127.0.0.0/8, ::1 or localhost. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** The URLs the hub gives devices, each with the address its part listens on (none for an external part). */
export function advertisedUrls(config: HubConfig): { what: string; url: string; listensOn?: string }[] {
  return [
    { what: 'HTTP API', url: config.http.publicUrl, listensOn: config.http.host },
    {
      what: 'MQTT broker',
      url: config.mqtt.publicUrl,
      ...(config.mqtt.embedded && config.roles.has('broker') ? { listensOn: config.mqtt.host } : {}),
    },
    {
      what: 'object store (presigned uploads)',
      url: config.s3.publicEndpoint ?? config.s3.endpoint,
      ...(config.s3.embedded ? { listensOn: config.s3.embeddedHost } : {}),
    },
  ];
}

/**
 * One line for each URL the hub hands devices that only this machine can reach, while the hub
 * listens for other machines: edges elsewhere would enrol and then fail to sync or upload.
 */
export function loopbackWarnings(config: HubConfig): string[] {
  const listening = [config.http.host, config.mqtt.host, config.s3.embeddedHost].filter(
    (h) => !isLoopback(h),
  );
  if (listening.length === 0) return [];
  return advertisedUrls(config)
    .filter((u) => isLoopback(new URL(u.url).hostname))
    .map(
      (u) =>
        `devices are told ${u.url} for the ${u.what}, which only this machine can reach, while the hub listens on ${listening[0]}: set GIC_HUB_PUBLIC_HOST to the name or address other machines reach this one by`,
    );
}
