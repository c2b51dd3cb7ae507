import { pino } from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logger; one per process, children per component and per request. */
export function createLogger(service: string, level = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    { level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime, messageKey: 'msg' },
    destination,
  );
}

/** Standard output and `extra` together (every level the logger lets through goes to both). */
export function stdoutAnd(extra: NodeJS.WritableStream): pino.DestinationStream {
  return pino.multistream([
    { level: 'trace', stream: process.stdout },
    { level: 'trace', stream: extra },
  ]);
}
