import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { engramConfigVariables } from './deployment/engram-variables';
import { serviceHelper } from './engram-cli';
import { ROOT, tempDir } from './process-harness';

const { loadConfig } = serviceHelper('config/config.loader.js');

/** The documents whose `| Variable | Default | Meaning |` tables are the configuration reference. */
const REFERENCES = ['README.md', 'docs/agent.md'];

interface ReferenceRow {
  where: string;
  /** The variables the row is about (its first column). */
  names: string[];
  /** The default column, split to one entry per name when it lists one per name. */
  defaults: string[];
  meaning: string;
  /** The whole row, for variables it names in passing (aliases, companions). */
  text: string;
}

function referenceRows(): ReferenceRow[] {
  return REFERENCES.flatMap((document) => {
    const lines = readFileSync(join(ROOT, document), 'utf8').split('\n');
    const rows: ReferenceRow[] = [];
    let inTable = false;
    lines.forEach((line, index) => {
      const cells = line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((cell) => cell.trim());
      if (cells[0] === 'Variable' && cells[1] === 'Default') inTable = true;
      else if (!line.startsWith('|')) inTable = false;
      if (!inTable || !cells[0].startsWith('`')) return;
      const names = [...cells[0].matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map(([, name]) => name);
      const parts = cells[1].split(/,\s+/);
      const defaults = names.map((_, i) => (parts.length === names.length ? parts[i] : cells[1]));
      rows.push({ where: `${document}:${index + 1}`, names, defaults, meaning: cells[2], text: line });
    });
    return rows;
  });
}

/**
 * Settings that take effect only beside another: a default is compared with that other set, or setting
 * the default alone would change nothing (or be refused as a setting without its subject).
 */
const POSTGRES = { MCP_MEMORY_STORAGE_BACKEND: 'postgres', DATABASE_URL: 'postgres://engram:secret@db:5432/engram' };
const JUDGE = { ENGRAM_CONFLICTS_JUDGE_URL: 'http://judge.internal/v1', ENGRAM_CONFLICTS_JUDGE_MODEL: 'judge' };
const BESIDE: Record<string, Record<string, string>> = {
  ENGRAM_DATABASE_POOL_SIZE: POSTGRES,
  ENGRAM_DATABASE_STATEMENT_TIMEOUT_MS: POSTGRES,
  ENGRAM_CONFLICTS_JUDGE_TIMEOUT_MS: JUDGE,
  ENGRAM_CONFLICTS_JUDGE_CONCURRENCY: JUDGE,
  ENGRAM_CONFLICTS_JUDGE_MAX_WAITING_PER_NAMESPACE: JUDGE,
  VLLM_PORT: { VLLM_HOST: 'vllm' },
  OTEL_TRACES_SAMPLER_ARG: { OTEL_TRACES_SAMPLER: 'traceidratio' },
  // A refresh token may not outlive its approval: each end of one range is tried with room in the other.
  ENGRAM_OAUTH_REFRESH_TOKEN_DAYS: { ENGRAM_OAUTH_GRANT_MAX_DAYS: '3650' },
  ENGRAM_OAUTH_GRANT_MAX_DAYS: { ENGRAM_OAUTH_REFRESH_TOKEN_DAYS: '1' },
  // A whole request may not take less time than its headers: the low end is tried with the shortest headers'.
  ENGRAM_HTTP_REQUEST_TIMEOUT_MS: { ENGRAM_HTTP_HEADERS_TIMEOUT_MS: '1000' },
};

const cwd = tempDir();
/** The configuration, or the problems that refuse it; no `.env` is found in the empty working directory. */
function configWith(env: Record<string, string>): { config?: any; problems?: string[] } {
  try {
    const config = loadConfig({ env, cwd });
    // Whether the database path was given decides only whether its folder may be created.
    delete config.storage.sqlitePathGiven;
    return { config };
  } catch (error) {
    return { problems: (error as { problems?: string[] }).problems ?? [String(error)] };
  }
}

describe('the configuration reference (README.md, docs/agent.md) and the configuration Engram reads', () => {
  const rows = referenceRows();

  it('finds the reference tables', () => {
    assert.ok(rows.length > 80, `${rows.length} rows`);
  });

  it('has a row for every variable the configuration reads', () => {
    const documented = new Set(rows.flatMap((row) => row.names));
    const missing = [...engramConfigVariables()].filter((name) => !documented.has(name));
    assert.deepEqual(missing, [], 'variables Engram reads without a row of their own');
  });

  it('documents in its rows only variables the configuration reads', () => {
    const read = engramConfigVariables();
    const unknown = rows.flatMap((row) => row.names.filter((name) => !read.has(name)).map((n) => `${row.where}: ${n}`));
    assert.deepEqual(unknown, [], 'rows about variables Engram does not read');
  });

  it('states each literal default the configuration applies when the variable is unset', () => {
    let checked = 0;
    const wrong = rows.flatMap((row) =>
      row.names.flatMap((name, i) => {
        const literal = /^`([^`<]*)`$/.exec(row.defaults[i])?.[1];
        // A default naming another variable (`AGENT_MODEL`) is that variable's value, not a literal.
        if (literal === undefined || /^[A-Z][A-Z0-9_]+$/.test(literal)) return [];
        checked++;
        const beside = BESIDE[name] ?? {};
        const unset = configWith(beside);
        const given = configWith({ ...beside, [name]: literal });
        if (given.problems) return [`${row.where}: ${name}=${literal} is refused: ${given.problems.join('; ')}`];
        return isDeepStrictEqual(unset.config, given.config)
          ? []
          : [`${row.where}: ${name} is not ${literal} by default`];
      }),
    );
    assert.deepEqual(wrong, []);
    assert.ok(checked > 60, `${checked} defaults checked`);
  });

  it('states the ranges the configuration accepts', () => {
    let checked = 0;
    const wrong = rows.flatMap((row) =>
      [...row.meaning.matchAll(/\((\d+(?:\.\d+)?)\s*[-–]\s*(\d+(?:\.\d+)?)[,)]/g)].flatMap(([, low, high]) =>
        row.names.flatMap((name) => {
          checked++;
          const step = low.includes('.') || high.includes('.') ? 0.01 : 1;
          const outside = [Number(low) - step, Number(high) + step].filter((value) => value >= 0);
          const refused = (value: string) =>
            configWith({ ...BESIDE[name], [name]: value }).problems?.some((problem) => problem.startsWith(name));
          return [
            ...[low, high].filter((value) => refused(value)).map((value) => `${value} refused`),
            ...outside.filter((value) => !refused(String(value))).map((value) => `${value} taken`),
          ].map((problem) => `${row.where}: ${name} (${low}-${high}): ${problem}`);
        }),
      ),
    );
    assert.deepEqual(wrong, []);
    assert.ok(checked >= 6, `${checked} ranges checked`);
  });
});
