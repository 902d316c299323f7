/**
 * Splits a subcommand's arguments into its own flags (`--name value` or `--name=value`; `switches` take
 * no value and read as `'true'`), positionals, and the rest, which are configuration flags (`--db <file>`).
 */
export function splitArguments(argv: readonly string[], ownFlags: readonly string[], switches: readonly string[] = []) {
  const flags: Record<string, string> = {};
  const positionals: string[] = [];
  const configArgv: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    if (switches.includes(flag)) flags[flag] = inline ?? 'true';
    else if (ownFlags.includes(flag)) flags[flag] = inline ?? argv[++i] ?? '';
    else if (flag.startsWith('-'))
      configArgv.push(argv[i], ...(inline === undefined && argv[i + 1] ? [argv[++i]] : []));
    else positionals.push(argv[i]);
  }
  return { flags, positionals, configArgv };
}
