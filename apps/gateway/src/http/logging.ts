import { hostname } from 'node:os';
import { destination, levels, type DestinationStream } from 'pino';
import { AccessLog } from './access-log';
import { requestLoggers } from './request-logger';

/**
 * The gateway's logging, as Fastify options: pino at `level` writing to `stream` (default pino's
 * own, standard output written asynchronously), tokens and keys redacted from every line logged
 * through it (the Authorization header, a `token` or `apiKey` field at the top or one level down), one access-log line per
 * request (ADR 15) written to the same stream, and each request's logger made only if the request
 * logs something.
 */
export function gatewayLogging(level: string, stream: DestinationStream = destination()) {
  return {
    logger: {
      level,
      stream,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          'token',
          'apiKey',
          '*.token',
          '*.apiKey',
        ],
        censor: '[redacted]',
      },
    },
    logController: new AccessLog({
      stream,
      enabled: (levels.values[level] ?? Infinity) <= levels.values['info']!,
      pid: process.pid,
      hostname: hostname(),
    }),
    childLoggerFactory: requestLoggers,
  };
}
