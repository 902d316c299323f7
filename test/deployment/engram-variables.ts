import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../process-harness';

/**
 * Variables the memory agent (issue 6) declares and the deployment artifacts already pass; Engram does
 * not read them yet. Keep this list short: a name Engram reads must leave it.
 */
export const AGENT_VARIABLES_PENDING: string[] = [];

/** The service's source files, its specs and test support left out. */
export function serviceSourceFiles(dir = join(ROOT, 'services', 'engram', 'src')): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'testing' ? [] : serviceSourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

/**
 * Every environment variable Engram's configuration reads (`read.<type>('NAME', …)` in the service
 * sources, NAME_FILE too for `read.secret`; aliases given as later arguments are left out). Read from the sources so the deployment
 * files are checked against the code, not against a copy of the list.
 */
export function engramConfigVariables(): Set<string> {
  const names = new Set<string>();
  for (const file of serviceSourceFiles()) {
    for (const match of readFileSync(file, 'utf8').matchAll(/\bread\.(\w+)\(\s*'([A-Z][A-Z0-9_]*)'/g)) {
      names.add(match[2]);
      // `read.secret('NAME')` reads NAME or NAME_FILE.
      if (match[1] === 'secret') names.add(`${match[2]}_FILE`);
    }
  }
  if (names.size < 10) throw new Error(`found only ${names.size} configuration variables; has the loader changed?`);
  for (const name of AGENT_VARIABLES_PENDING) {
    if (names.has(name)) throw new Error(`${name} is read by Engram now: remove it from AGENT_VARIABLES_PENDING`);
  }
  return names;
}
