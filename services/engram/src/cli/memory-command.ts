import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { z } from 'zod';
import { AppModule } from '../app.module';
import { currentNamespace, DEFAULT_NAMESPACE, LOCAL_OWNER, runInContext } from '../auth/request-context';
import { isNamespace } from '../auth/namespace';
import { HashPrefixArg } from '../memories/memory.dto';
import { createLogger } from '../process/logger';
import { FlagSpec, ParsedArgs, parseCommandArgs } from './cli-args';
import { refusal, usageError } from './cli-output';
import { consentProblem } from './confirm';
import { configForExistingStore } from './existing-store';
import { describeFlagIssues } from './flag-issues';

/** The flag or argument that fills each request field, for the messages about it. */
const FIELD_FLAGS: Record<string, string> = {
  query: '<query>',
  content: '<content>',
  limit: '--limit',
  mode: '--mode',
  min_score: '--min-score',
  tags: '--tags',
  memory_type: '--type',
  time_expr: '--time',
  page: '--page',
  page_size: '--page-size',
  cursor: '--cursor',
  content_hash: '<hash>',
};

/** A command on the memories of one namespace (search, list, store, get, delete, trash …). */
export interface MemoryCommand {
  usage: string;
  /** The request the arguments make, checked by the same schema as the REST route, or a flag's problem. */
  request(
    args: ParsedArgs,
  ): { schema: z.ZodType; input: Record<string, unknown>; positionalsAllowed?: boolean } | { problem: string };
  execute(context: INestApplicationContext, input: unknown, json: boolean, args: ParsedArgs): Promise<number>;
  /** True when this run deletes for good: it then needs --yes or a terminal to ask on (see confirm.ts). */
  asksFirst?(args: ParsedArgs): boolean;
}

/**
 * Parses and validates the arguments (a run that deletes for good without --yes needs a terminal), opens
 * the application on the existing store, and runs the command in the chosen namespace with the rights of
 * the database file's owner (as stdio MCP does).
 * `name` is the command as messages name it ("get", "trash restore").
 */
export async function runMemoryCommand(
  name: string,
  argv: readonly string[],
  flags: FlagSpec,
  command: MemoryCommand,
): Promise<number> {
  const args = parseCommandArgs(argv, flags);
  if ('problem' in args) return usageError(name, args.problem, command.usage);
  const request = command.request(args);
  if ('problem' in request) return usageError(name, request.problem, command.usage);
  const { schema, input, positionalsAllowed = true } = request;
  if (!positionalsAllowed && args.positionals.length > 0) {
    return usageError(name, `unexpected "${args.positionals[0]}"`, command.usage);
  }
  const namespace = args.flags.namespace ?? DEFAULT_NAMESPACE;
  if (typeof namespace !== 'string' || !isNamespace(namespace)) {
    return usageError(name, '--namespace: lowercase letters, digits, - and _ (at most 64)', command.usage);
  }
  const parsed = schema.safeParse(withoutUndefined(input));
  if (!parsed.success) {
    return usageError(
      name,
      describeFlagIssues(parsed.error, (field) => FIELD_FLAGS[field] ?? name),
      command.usage,
    );
  }
  const noConsent = command.asksFirst?.(args) ? consentProblem(args) : undefined;
  if (noConsent) return usageError(name, noConsent, command.usage);
  const config = configForExistingStore(name, args.configArgv);
  if (typeof config === 'number') return config;
  const logger = createLogger(
    { ...config, log: { ...config.log, level: config.log.level === 'debug' ? 'debug' : 'warn' } },
    { command: true },
  );
  const context = await NestFactory.createApplicationContext(AppModule.forRoot(config), {
    logger,
    abortOnError: false,
  });
  try {
    return await runInContext({ ...LOCAL_OWNER, namespace }, () =>
      command.execute(context, parsed.data, args.flags.json === true, args),
    );
  } catch (error) {
    return refusal(name, error, (field) => FIELD_FLAGS[field]);
  } finally {
    await context.close();
  }
}

/** A memory's hash, whole or its start, as the one positional argument. */
const HashArgs = z.object({ content_hash: HashPrefixArg });

/** The request of a command on one memory named by `hashes`, its positional arguments. */
export function hashRequest(hashes: readonly string[]) {
  if (hashes.length > 1) return { problem: `one <hash> only, not "${hashes.join(' ')}"` };
  return { schema: HashArgs, input: { content_hash: hashes[0] } };
}

/** The validated hash and the namespace the command runs in. */
export function hashTarget(input: unknown): { prefix: string; namespace: string } {
  return { prefix: (input as z.output<typeof HashArgs>).content_hash, namespace: currentNamespace() };
}

function withoutUndefined(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
}
