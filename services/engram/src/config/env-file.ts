import { parseEnv } from 'node:util';

/** One `NAME=value` entry's start: optional `export`, a shell-safe name, `=`, the rest of the line. */
const ENTRY = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(.*)$/;
const QUOTES = new Set(['"', "'", '`']);

export interface EnvFileContents {
  values: Record<string, string>;
  /** `line N: …`, naming lines only: a malformed line may hold a secret, so it is never echoed. */
  problems: string[];
}

/**
 * Reads an env file with Node's own dotenv rules, after checking every line is an entry those rules read
 * as meant: Node's parser silently joins a line that is not `NAME=value` to the next entry's name (so
 * that entry is lost), keeps a tab before a name, and ends an unquoted value at `#` (a secret cut short).
 */
export function parseEnvFile(text: string): EnvFileContents {
  const lines = text.split(/\r?\n/);
  const problems: string[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index];
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const entry = ENTRY.exec(line);
    if (!entry) {
      problems.push(`line ${index + 1} is not NAME=value (a name of letters, digits and _, then =)`);
      continue;
    }
    const [, name, value] = entry;
    lines[index] = `${name}=${value}`;
    const quote = value[0];
    if (QUOTES.has(quote)) {
      if (value.indexOf(quote, 1) > 0) continue;
      const closing = lines.findIndex((later, at) => at > index && later.includes(quote));
      if (closing < 0) problems.push(`line ${index + 1}: ${name}'s opening ${quote} is never closed`);
      else index = closing;
      continue;
    }
    if (/[^ \t]#/.test(value)) {
      problems.push(`line ${index + 1}: ${name}'s value holds a # that would end it; put the value in quotes`);
    }
  }
  if (problems.length > 0) return { values: {}, problems };
  return { values: parseEnv(lines.join('\n')) as Record<string, string>, problems };
}
