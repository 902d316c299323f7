import { ConsoleLogger, LoggerService, LogLevel } from '@nestjs/common';
import { AppConfig } from '../config/config.types';
import { activeTraceIds } from '../tracing/spans';
import { plainFailure } from './plain-failure';
import { LISTEN_ERROR_CODES } from './listen-failure';

const LOG_LEVELS = {
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  info: ['fatal', 'error', 'warn', 'log'],
  warn: ['fatal', 'error', 'warn'],
  error: ['fatal', 'error'],
} as const;

export function createLogger(config: AppConfig, { stderrOnly = false, command = false } = {}): LoggerService {
  const options = { json: true, logLevels: [...LOG_LEVELS[config.log.level]] };
  const logger = stderrOnly ? new StderrLogger('Engram', options) : new EngramLogger('Engram', options);
  logger.commandReportsStartFailure = command;
  return logger;
}

/**
 * Nest's own start-up narration (a line per module and per route, ~75 in all) goes to debug, so info
 * level says only what an operator needs: warnings, the database, and the ready line with the URLs.
 */
const NEST_START_UP_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);

/** JSON lines; while a span is active they carry its trace and span ids, so a log line leads to its trace. */
class EngramLogger extends ConsoleLogger {
  /**
   * A CLI command reports a failed start itself, in one line ("engram: … cannot be decrypted …"): Nest's
   * copy of the error (context ExceptionHandler), a JSON line with its stack, would only bury it.
   */
  commandReportsStartFailure = false;

  override log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams.at(-1);
    if (typeof context === 'string' && NEST_START_UP_CONTEXTS.has(context)) super.debug(message, ...optionalParams);
    else super.log(message, ...optionalParams);
  }

  /** A refused listen (a busy port, a host not here) is said by runApi in one line; Nest's stack would bury it. */
  override error(message: unknown, ...optionalParams: unknown[]): void {
    if (
      optionalParams.at(-1) === 'NestApplication' &&
      LISTEN_ERROR_CODES.some((code) => String(message).includes(code))
    ) {
      return;
    }
    if (optionalParams.at(-1) === 'ExceptionHandler') {
      // reportStartFailure says these in one line (a wrong key, a server down); Nest's copy, with its stack, would bury it.
      if (this.commandReportsStartFailure || plainFailure(message)) return;
    }
    super.error(message, ...optionalParams);
  }

  protected override getJsonLogObject(message: unknown, options: Parameters<ConsoleLogger['getJsonLogObject']>[1]) {
    return { ...super.getJsonLogObject(message, options), ...activeTraceIds() };
  }
}

/** For `engram mcp` over stdio, where stdout carries only protocol messages. */
class StderrLogger extends EngramLogger {
  protected override printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: LogLevel,
    _stream?: 'stdout' | 'stderr',
    errorStack?: unknown,
    params?: Record<string, unknown>,
  ): void {
    super.printMessages(messages, context, logLevel, 'stderr', errorStack, params);
  }
}
