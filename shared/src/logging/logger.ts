import { pino } from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logger; one per process, children per component and per request. */
export function createLogger(service: string, level = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    { level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime, messageKey: 'msg' },
    destination,
  );
}
