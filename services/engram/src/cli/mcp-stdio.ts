import { NestFactory } from '@nestjs/core';
import { storeLocation } from '../storage/store-location';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { AppModule } from '../app.module';
import { AppConfig } from '../config/config.types';
import { BackupService } from '../backups/backup.service';
import { createLogger } from '../process/logger';
import { AnsweringStdioTransport } from '../mcp/answering-stdio.transport';
import { McpCatalog } from '../mcp/mcp-catalog';
import { McpResourceFeed } from '../mcp/mcp-resource-feed';
import { WorkspaceFolderSweeper } from '../storage/workspace-folder.sweeper';

/**
 * `engram mcp`: the tool catalog over stdio against the local database, without the HTTP server, for
 * clients of both protocol eras (the first message decides the connection's era). Safe next to a running
 * api on the same file (WAL, busy timeout). Resolves with the exit code once the client closed its input
 * and every request it sent was answered, or a signal arrived.
 */
export async function runMcpStdio(config: AppConfig): Promise<number> {
  keepStdoutForProtocol();
  const logger = createLogger(config, { stderrOnly: true, command: true });
  const context = await NestFactory.createApplicationContext(AppModule.forRoot(config), {
    logger,
    abortOnError: false,
  });
  const catalog = context.get(McpCatalog);
  const feed = context.get(McpResourceFeed);
  const transport = new AnsweringStdioTransport(process.stdin, process.stdout, config.limits.maxBodyBytes);
  const handle = serveStdio(
    ({ era }) => {
      const server = catalog.createServer({ era });
      // A 2026-07-28 connection receives resource updates on its subscriptions/listen streams (the SDK
      // routes them there); a 2025-era one subscribes to nothing, so it is sent none.
      if (era === 'modern') {
        // The entry also builds a modern instance for a discovery probe and drops it unconnected when the
        // client falls back to 2025: that one's first failed send unsubscribes it.
        const stop = feed.subscribe(
          (event) => {
            if (event.kind === 'resource_updated') server.server.sendResourceUpdated({ uri: event.uri }).catch(stop);
            if (event.kind === 'resources_list_changed') server.server.sendResourceListChanged().catch(stop);
          },
          () => transport.listens.uris(),
        );
        server.server.onclose = stop;
      }
      return server;
    },
    { transport, onerror: (error) => logger.warn({ msg: 'MCP stdio error', error: error.message }, 'Mcp') },
  );
  logger.log({ msg: 'Engram MCP server on stdio', database: storeLocation(config.storage) }, 'Startup');
  // Its agent runs keep workspaces in the OS temporary folder too: a host with only stdio clients (no api or
  // worker) must still lose what a killed one left, and the stagings of backups cut short, as an api does.
  context.get(WorkspaceFolderSweeper).start();
  const stagingsSwept = context.get(BackupService).removeAbandonedStagings();
  const signalled = new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await Promise.race([transport.closed, signalled]);
  await handle.close().catch(() => undefined);
  await stagingsSwept; // never fails; the store it checks locks on must stay open until it is done
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
