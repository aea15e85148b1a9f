import { pino, type LevelWithSilent, type Logger } from 'pino';

export type { Logger };

/**
 * The one root logger. Pretty output on a terminal, JSON otherwise (for log shippers).
 * Tokens are never passed to it; `redact` is a second line of defence for auth headers.
 */
export const createLogger = (level: LevelWithSilent, pretty = process.stdout.isTTY): Logger =>
  pino({
    level,
    base: undefined,
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'token'], censor: '[redacted]' },
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, translateTime: 'HH:MM:ss', ignore: 'pid,hostname' },
          },
        }
      : {}),
  });
