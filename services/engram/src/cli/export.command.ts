import { NestFactory } from '@nestjs/core';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppModule } from '../app.module';
import { AppConfig } from '../config/config.types';
import { ExportInput, ExportQuery } from '../export/export.dto';
import { MemoryExportService } from '../export/memory-export.service';
import { createLogger } from '../process/logger';
import { parseCommandArgs } from './cli-args';
import { CliCommand } from './cli-command';
import { configUsage, usageError } from './cli-output';
import { configForExistingStore } from './existing-store';
import { describeFlagIssues } from './flag-issues';
import { exportOutput, ExportOutputError, writeExport } from './export-output';

const USAGE = `usage: engram export [--namespace <ns>] [--vectors] [--output <file>]
  Writes the portable export (NDJSON; GET /api/export gives the same) to stdout, or to <file>: a regular
  file (or a link's target) is replaced once the export is whole, a FIFO or device (>(gzip)) written through.
  ${configUsage()}`;

export const exportCommand: CliCommand = {
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(argv, {
      namespace: { type: 'string' },
      vectors: { type: 'boolean' },
      output: { type: 'string' },
    });
    if ('problem' in args) return usageError('export', args.problem, USAGE);
    if (args.positionals.length > 0) return usageError('export', `unexpected "${args.positionals[0]}"`, USAGE);
    const parsed = ExportQuery.safeParse({
      ...(args.flags.namespace !== undefined ? { namespace: args.flags.namespace } : {}),
      vectors: args.flags.vectors === true ? 'true' : 'false',
    });
    if (!parsed.success)
      return usageError(
        'export',
        describeFlagIssues(parsed.error, (field) => `--${field}`),
        USAGE,
      );
    const output = args.flags.output;
    if (typeof output === 'boolean' || output === '') return usageError('export', '--output needs a file name', USAGE);
    const config = configForExistingStore('export', args.configArgv);
    if (typeof config === 'number') return config;
    try {
      return await runExport(config, parsed.data, output);
    } catch (error) {
      if (!(error instanceof ExportOutputError)) throw error;
      process.stderr.write(`engram export: ${error.message}\n`);
      return 73; // EX_CANTCREAT
    }
  },
};

async function runExport(config: AppConfig, query: ExportInput, output?: string): Promise<number> {
  // A folder or a missing folder is refused before the store is opened.
  const target = output === undefined ? undefined : await exportOutput(output);
  const logger = createLogger({ ...config, log: { ...config.log, level: 'warn' } }, { command: true });
  const context = await NestFactory.createApplicationContext(AppModule.forRoot(config), {
    logger,
    abortOnError: false,
  });
  try {
    const lines = Readable.from(context.get(MemoryExportService).lines(query));
    if (!target) {
      await pipeline(lines, stdoutKeptOpen());
      return 0;
    }
    await writeExport(lines, target);
    process.stderr.write(`engram export: wrote ${target.name}\n`);
    return 0;
  } finally {
    await context.close();
  }
}

/** stdout as a pipeline's end, without the pipeline closing it. */
function stdoutKeptOpen(): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      process.stdout.write(chunk, (error) => done(error ?? undefined));
    },
  });
}
