import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs, one logger per process; request loggers are children carrying `requestId`. */
export function createLogger(service: string, level: string): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Tokens must never reach the logs, whatever a caller passes in.
    redact: { paths: ['authorization', '*.authorization', 'headers.authorization', 'token'], censor: '[redacted]' },
  });
}
