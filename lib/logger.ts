import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Structured JSON logs, one logger per process; request loggers are children carrying `requestId`.
 * In a terminal the lines are made readable with pino-pretty: when stdout is a TTY outside
 * production, or when LOG_FORMAT=pretty (which `npm start` sets for its processes when it runs in
 * a terminal itself). LOG_FORMAT=json forces JSON. Without pino-pretty installed (the production
 * image has no dev dependencies) the lines stay JSON.
 */
export function createLogger(service: string, level: string): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Tokens must never reach the logs, whatever a caller passes in.
    redact: { paths: ['authorization', '*.authorization', 'headers.authorization', 'token'], censor: '[redacted]' },
  };
  return wantsPretty() && prettyInstalled()
    ? pino(options, pino.transport({ target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname,service', translateTime: 'SYS:HH:MM:ss.l' } }))
    : pino(options);
}

function wantsPretty(): boolean {
  const format = process.env.LOG_FORMAT;
  if (format === 'pretty') return true;
  if (format === 'json') return false;
  return Boolean(process.stdout.isTTY) && process.env.NODE_ENV !== 'production';
}

function prettyInstalled(): boolean {
  try {
    import.meta.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}
