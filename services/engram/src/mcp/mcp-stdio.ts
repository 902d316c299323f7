import { NestFactory } from '@nestjs/core';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { AppModule } from '../app.module';
import { AppConfig } from '../config/config.types';
import { createLogger } from '../http/create-app';
import { McpCatalog } from './mcp-catalog';

/**
 * `engram mcp`: the tool catalog over stdio against the local database, without the HTTP server. Safe
 * next to a running api on the same file (WAL, busy timeout). Resolves with the exit code once the
 * client closes stdin or a signal arrives.
 */
export async function runMcpStdio(config: AppConfig): Promise<number> {
  keepStdoutForProtocol();
  const logger = createLogger(config, { stderrOnly: true });
  const context = await NestFactory.createApplicationContext(AppModule.forRoot(config), {
    logger,
    abortOnError: false,
  });
  const server = context.get(McpCatalog).createServer();
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = resolve;
    process.stdin.once('end', resolve);
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await server.connect(transport);
  logger.log({ msg: 'Engram MCP server on stdio', database: config.storage.sqlitePath }, 'Startup');
  await closed;
  await server.close().catch(() => undefined);
  await context.close();
  return 0;
}

/** Anything a library prints with console.log would corrupt the JSON-RPC stream: send it to stderr. */
function keepStdoutForProtocol(): void {
  /* eslint-disable no-console -- rerouting console output is this function's job */
  const toStderr = (...args: unknown[]) => console.error(...args);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  console.warn = toStderr;
  /* eslint-enable no-console */
}
