import { createInterface } from 'node:readline';
import { FlagSpec, ParsedArgs } from './cli-args';

/** The flag of a command that destroys or replaces data: the user's yes given ahead, for scripts. */
export const YES_FLAG = { yes: { type: 'boolean' } } as const satisfies FlagSpec;

/**
 * Why a run that destroys or replaces data cannot go ahead, or undefined when it can: with --yes it need
 * not ask; on a terminal it asks (see `confirmed`). Anything else (a pipe, cron, CI) has nobody to ask,
 * and a script that did not say --yes must not destroy data on a missing answer. `what` is what the run
 * does, after "asks before it".
 */
export function consentProblem(args: ParsedArgs, what = 'deletes for good'): string | undefined {
  if (args.flags.yes === true || process.stdin.isTTY) return undefined;
  return `asks before it ${what}, and stdin is not a terminal: add --yes to go ahead without asking`;
}

/**
 * Asks `question [y/N]` on the terminal (on stderr, so stdout keeps only the command's output) and
 * resolves true only for y or yes; Enter, anything else, Ctrl-C or Ctrl-D answer no. --yes answers
 * yes without asking.
 */
export async function confirmed(question: string, args: ParsedArgs): Promise<boolean> {
  if (args.flags.yes === true) return true;
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => {
      terminal.once('close', () => resolve(''));
      // Without a listener readline only pauses on Ctrl-C, and the command would wait for ever.
      terminal.once('SIGINT', () => terminal.close());
      terminal.question(`${question} [y/N] `, resolve);
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    terminal.close();
  }
}

/** The user said no: one line saying nothing changed, exit 1. */
export function declined(command: string): number {
  process.stderr.write(`engram ${command}: not confirmed; nothing changed\n`);
  return 1;
}
