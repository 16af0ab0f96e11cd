import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { levels } from 'pino';

const INFO = levels.values['info']!;

/** One request as the access log records it. */
export interface AccessLine {
  method: string;
  /** The path only: a GET's query string holds the whole GraphQL document. */
  url: string;
  status: number;
  /** The GraphQL operation's first root field, once the gateway knew it. */
  operation?: string;
  /** The tenant of the token, if it had one. */
  tenant?: string;
  /** Time to answer, in milliseconds (one decimal). */
  ms: number;
}

export function accessLine(request: FastifyRequest, reply: FastifyReply): AccessLine {
  const query = request.url.indexOf('?');
  return {
    method: request.method,
    url: query < 0 ? request.url : request.url.slice(0, query),
    status: reply.statusCode,
    operation: request.operation,
    tenant: request.principal?.tenant,
    ms: Math.round(reply.elapsedTime * 10) / 10,
  };
}

/** Where the access log writes: the destination of the gateway's logger, and the fields of its lines. */
export interface AccessLogSink {
  /** The logger's own destination (one stream, so lines never interleave). */
  stream: { write(line: string): unknown };
  /** Whether the logger's level lets `info` through; else no line is written. */
  enabled: boolean;
  /** pino's base fields, as every line of the logger carries them. */
  pid: number;
  hostname: string;
}

/**
 * The gateway's access log (ADR 15): one line per request, when it has been answered, in place of
 * Fastify's two (one on arrival, one on completion). At the default level, `info`, the two were a
 * fifth of the CPU time of a small query (`npm run bench -- gateway`); operators who want none set
 * the log level to `warn`. Errors while answering are logged at `error`, as Fastify's own are.
 *
 * The line has the shape of the logger's own (level, time, pid, hostname, reqId, msg) and is written
 * to the logger's destination as one JSON.stringify of its fields, not through pino: its fields are
 * fixed and carry no secret (no header, no query string), so pino's redaction and its per-request
 * child logger, most of what the line cost, buy it nothing.
 */
export class AccessLog extends LogController {
  constructor(private readonly sink: AccessLogSink) {
    super();
  }

  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error) {
      reply.log.error({ ...accessLine(request, reply), err: error }, 'request errored');
      return;
    }
    const sink = this.sink;
    if (!sink.enabled) return;
    const line = {
      level: INFO,
      time: Date.now(),
      pid: sink.pid,
      hostname: sink.hostname,
      reqId: request.id,
      ...accessLine(request, reply),
      msg: 'request',
    };
    sink.stream.write(`${JSON.stringify(line)}\n`);
  }
}
