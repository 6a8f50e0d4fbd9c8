import { type FastifyBaseLogger, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Bindings, ChildLoggerOptions, Level, LevelWithSilentOrString, Logger } from 'pino';

/**
 * Fastify's per-request log lines, reduced at `info` to one line per finished request. A failed request
 * (4xx, 5xx) is logged at `info`: refused clients, failed logins and errors are what an operator
 * and an investigation need. A successful one is logged at `debug` only: Fastify's two serialised,
 * redacted lines per request (incoming, completed) cost a fifth of the token endpoint's time, and
 * every token issued is an audit event of its own. Everything else Fastify logs is unchanged.
 */
export class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    // At `info` and above this is a no-op call; at `debug` it shows what arrived and when.
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) {
      super.requestCompleted(error, request, reply);
      return;
    }
    const level = reply.statusCode >= 400 ? 'info' : 'debug';
    reply.log[level]({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

/**
 * `request.log`: the request's child logger (its `reqId` binding), made the first time the request
 * logs something at an enabled level. A successful request logs nothing at `info`, and making a
 * child (its bindings serialised and redacted) costs as much as the answer's security headers and
 * metrics together; pino made it on every request.
 */
class RequestLogger {
  private made: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
  ) {}

  private get logger(): Logger {
    return (this.made ??= this.parent.child(this.bindings));
  }

  private write(level: Level, args: unknown[]): void {
    if (this.made === undefined && !this.parent.isLevelEnabled(level)) return;
    const logger = this.logger;
    Reflect.apply(logger[level], logger, args as Parameters<Logger['info']>);
  }

  get level(): LevelWithSilentOrString {
    return (this.made ?? this.parent).level;
  }

  set level(level: LevelWithSilentOrString) {
    this.logger.level = level;
  }

  isLevelEnabled(level: LevelWithSilentOrString): boolean {
    return (this.made ?? this.parent).isLevelEnabled(level);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }

  error(...args: unknown[]): void {
    this.write('error', args);
  }

  warn(...args: unknown[]): void {
    this.write('warn', args);
  }

  info(...args: unknown[]): void {
    this.write('info', args);
  }

  debug(...args: unknown[]): void {
    this.write('debug', args);
  }

  trace(...args: unknown[]): void {
    this.write('trace', args);
  }

  silent(): void {}
}

/** Fastify's `childLoggerFactory`: a route with a log level of its own gets its child at once. */
export function requestLogger(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  if (options.level !== undefined || options.serializers !== undefined) return parent.child(bindings, options);
  // Fastify's logger here is always the pino instance of src/http/logger.ts.
  return new RequestLogger(parent as Logger, bindings);
}
