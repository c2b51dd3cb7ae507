import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { StartError } from '@gic/shared/process/start-error.js';

/** The hub's certificate and key (PEM), and the oldest TLS version its listeners accept. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
}

const REMEDY = 'set GIC_TLS_CERT_FILE and GIC_TLS_KEY_FILE to a PEM certificate chain and its key';

/**
 * Reads the certificate and key files and checks that they make a usable pair, so a bad file stops
 * the hub at start with one sentence (a StartError) rather than at the first connection.
 */
export function loadTlsMaterial(settings: {
  certFile: string;
  keyFile: string;
  minVersion: TlsMaterial['minVersion'];
}): TlsMaterial {
  const read = (file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new StartError('TLS', `cannot read ${file} (${(err as NodeJS.ErrnoException).code})`, REMEDY);
    }
  };
  const cert = read(settings.certFile);
  const key = read(settings.keyFile);
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new StartError(
      'TLS',
      `the certificate and key do not go together: ${(err as Error).message}`,
      REMEDY,
    );
  }
  return { cert, key, minVersion: settings.minVersion };
}
