import { NestFactory } from '@nestjs/core';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppModule } from '../app.module';
import { ExportQuery } from '../export/export.dto';
import { MemoryExportService } from '../export/memory-export.service';
import { createLogger } from '../process/logger';
import { parseCommandArgs } from './cli-args';
import { CliCommand } from './cli-command';
import { CONFIG_USAGE, usageError } from './cli-output';
import { configForExistingStore } from './existing-store';

const USAGE = `usage: engram export [--namespace <ns>] [--vectors] [--output <file>]
  Writes the portable export (NDJSON; GET /api/export gives the same) to stdout, or to <file> once whole.
  ${CONFIG_USAGE}`;

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
    if (!parsed.success) return usageError('export', `--namespace: ${parsed.error.issues[0].message}`, USAGE);
    const output = args.flags.output;
    if (typeof output === 'boolean' || output === '') return usageError('export', '--output needs a file name', USAGE);
    const config = configForExistingStore('export', args.configArgv);
    if (typeof config === 'number') return config;
    const logger = createLogger({ ...config, log: { ...config.log, level: 'warn' } });
    const context = await NestFactory.createApplicationContext(AppModule.forRoot(config), {
      logger,
      abortOnError: false,
    });
    try {
      const lines = Readable.from(context.get(MemoryExportService).lines(parsed.data));
      if (output === undefined) {
        await pipeline(lines, stdoutKeptOpen());
        return 0;
      }
      // Written beside the target and renamed once whole: an interrupted export never takes the name.
      const partial = `${output}.partial`;
      try {
        await pipeline(lines, createWriteStream(partial));
        await rename(partial, output);
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
      process.stderr.write(`engram export: wrote ${output}\n`);
      return 0;
    } finally {
      await context.close();
    }
  },
};

/** stdout as a pipeline's end, without the pipeline closing it. */
function stdoutKeptOpen(): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      process.stdout.write(chunk, (error) => done(error ?? undefined));
    },
  });
}
