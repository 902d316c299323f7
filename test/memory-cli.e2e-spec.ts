import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CliStore, DIST, openCliStore, runEngram, serviceHelper } from './engram-cli';
import { inheritedEnv } from './process-harness';

describe('engram store, list and search (a real SQLite file)', () => {
  let store: CliStore;
  const engram = (args: string[]) => store.engram(args);

  before(async () => {
    store = await openCliStore('cli-memory-model');
  });
  after(() => store?.close());

  it('stores, lists and finds memories, for people by default and as JSON with --json', async () => {
    const stored = await engram(['store', 'the', 'boiler', 'is', 'serviced', 'in', 'October', '--tags', 'home,boiler']);
    assert.equal(stored.code, 0, stored.stderr);
    assert.match(stored.stdout, /^stored [0-9a-f]{64} \(note, tags boiler,home\)\n$/);
    const second = await engram(['store', '--type', 'fact', 'the car needs new tyres', '--json']);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(JSON.parse(second.stdout).memory.memory_type, 'fact');

    const listed = await engram(['list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /fact {2}[0-9a-f]{12}\n {4}the car needs new tyres\n/);
    assert.match(listed.stderr, /page 1 of 1, 2 memories/);
    assert.equal(JSON.parse((await engram(['list', '--json', '--tags', 'home'])).stdout).total, 1);
    assert.equal((await engram(['list', '--tags', 'home'])).stderr, 'page 1 of 1, 1 memory\n');
    // The README's `engram list --page 2` on a store of one page lists nothing, and says why.
    const pastTheEnd = await engram(['list', '--page', '2']);
    assert.deepEqual([pastTheEnd.code, pastTheEnd.stdout], [0, '']);
    assert.equal(pastTheEnd.stderr, 'page 2 is past the last page (1), 2 memories\n');
    // One memory a page: the first names the cursor of the second, which gives the older memory and no cursor.
    const firstPage = await engram(['list', '--page-size', '1']);
    const cursor = /; next: --cursor (\S+)\n$/.exec(firstPage.stderr)?.[1];
    assert.ok(cursor, firstPage.stderr);
    const nextPage = await engram(['list', '--page-size', '1', '--cursor', cursor, '--json']);
    assert.equal(nextPage.code, 0, nextPage.stderr);
    const { memories, next_cursor } = JSON.parse(nextPage.stdout);
    assert.deepEqual([memories[0].content, next_cursor], ['the boiler is serviced in October', null]);
    const both = await engram(['list', '--page', '2', '--cursor', cursor]);
    assert.equal(both.code, 64);
    assert.match(both.stderr, /give page or cursor, not both/);

    const found = await engram(['search', 'boiler', 'October', '--limit', '1']);
    assert.equal(found.code, 0, found.stderr);
    assert.match(found.stdout, /^-?\d\.\d{3} {2}.*note, tags boiler,home .*\n {4}the boiler is serviced in October\n$/);
    const json = JSON.parse((await engram(['search', 'tyres', '--mode', 'keyword', '--json'])).stdout);
    assert.equal(json.results[0].memory.content, 'the car needs new tyres');
  });

  it('leaves out results under ENGRAM_SEARCH_MIN_SCORE, as MCP and the dashboard do, and says how to see them', async () => {
    const search = (args: string[], env: Record<string, string> = {}) =>
      runEngram(['search', 'boiler', 'tyres', ...args], { ...store.env, ...env }, store.dir);
    const every = await search(['--min-score', '0', '--json']);
    assert.equal(every.code, 0, every.stderr);
    const scores: number[] = JSON.parse(every.stdout).results.map((result: { score: number }) => result.score);
    assert.ok(scores.length >= 2 && scores[0] > scores.at(-1)!, `scores ${scores}`);
    // A floor between the best and the worst score: the weaker results must go, and be counted.
    const floor = ((scores[0] + scores.at(-1)!) / 2).toFixed(6);
    const kept = scores.filter((score) => score >= Number(floor));
    const left = scores.length - kept.length;

    const floored = await search(['--json'], { ENGRAM_SEARCH_MIN_SCORE: floor });
    const answer = JSON.parse(floored.stdout);
    assert.deepEqual(
      [answer.results.map((result: { score: number }) => result.score), answer.below_floor],
      [kept, left],
    );
    const forPeople = await search([], { ENGRAM_SEARCH_MIN_SCORE: floor });
    assert.equal(forPeople.code, 0, forPeople.stderr);
    assert.match(
      forPeople.stderr,
      new RegExp(
        `^${kept.length} results? \\(hybrid, \\d+ ms\\); ${left} more below --min-score ${Number(floor)} \\(--min-score 0 shows them\\)\\n$`,
      ),
    );
    // The flag overrides the configured floor.
    const overridden = JSON.parse(
      (await search(['--min-score', '0', '--json'], { ENGRAM_SEARCH_MIN_SCORE: floor })).stdout,
    );
    assert.equal(overridden.results.length, scores.length);
    const outOfRange = await search(['--min-score', '1.5']);
    assert.equal(outOfRange.code, 64);
    assert.match(outOfRange.stderr, /^engram search: --min-score: expected a number from 0 to 1/);
  });

  it('names bad input with the flag the user typed and exits 64', async () => {
    const badLimit = await engram(['search', 'x', '--limit', 'ten']);
    assert.equal(badLimit.code, 64);
    assert.match(badLimit.stderr, /^engram search: --limit: /);
    const empty = await engram(['store', '--tags', 'x']);
    assert.equal(empty.code, 64);
    assert.match(empty.stderr, /^engram store: <content>: must not be empty\n/);
    for (const command of [['store', 'x'], ['search', 'x'], ['list']]) {
      const badType = await engram([...command, '--type', 'B@d']);
      assert.equal(badType.code, 64, badType.stderr);
      const [line] = badType.stderr.split('\n');
      // The flag the user typed, never the REST field (memory_type) it fills.
      assert.equal(
        line,
        `engram ${command[0]}: --type: must be a word of letters, digits, _ or - (e.g. note, observation, decision)`,
      );
    }
    const time = await engram(['list', '--time', 'the twelfth of never']);
    assert.equal(time.code, 64);
    assert.match(time.stderr, /Cannot understand the time expression/);
  });

  it('names an embedding endpoint that fails after a good start in one line, and exits 69', async () => {
    // The same model as the store's; its first answer (the start-up probe) is good, then it fails.
    const failing = await serviceHelper('testing/openai-embeddings.test-double.js').startOpenAiEmbeddingsTestDouble({
      dimension: 16,
      model: 'cli-memory-model',
    });
    try {
      const env = { ...store.env, MCP_EXTERNAL_EMBEDDING_URL: failing.url };
      const runs = [
        { args: ['store', 'the', 'gate', 'code', 'changed'], failure: { kind: 'status', status: 500, times: 4 } },
        { args: ['search', 'gate', 'code', '--mode', 'semantic'], failure: { kind: 'drop', times: 4 } },
      ];
      for (const { args, failure } of runs) {
        failing.fail({ kind: 'answer' }, failure);
        const run = await runEngram(args, env, store.dir);
        assert.equal(run.code, 69, `${args[0]}: ${run.stderr}`);
        assert.ok(
          run.stderr.startsWith(`engram: Embedding endpoint ${failing.url}/embeddings failed after 4 attempts: `),
          run.stderr,
        );
        assert.equal(run.stderr.split('\n').length, 2, `one line: ${run.stderr}`);
      }
    } finally {
      await failing.close();
    }
  });

  it('says in one line, without a stack, that a --db is not a SQLite database', async () => {
    const garbage = join(store.dir, 'not-a-database.db');
    writeFileSync(garbage, Buffer.alloc(8192, 7));
    for (const command of [['list'], ['search', 'x'], ['export']]) {
      const run = await engram([...command, '--db', garbage]);
      assert.equal(run.code, 78, command[0]);
      assert.equal(
        run.stderr,
        `engram: ${garbage} is encrypted (or not a SQLite database): ` +
          'set ENGRAM_DB_ENCRYPTION_KEY or ENGRAM_DB_ENCRYPTION_KEY_FILE\n',
        command[0],
      );
    }
  });

  it('stops quietly (0) when stdout and stderr share a pipe its reader closed, as `2>&1 | head -1` does', async () => {
    // No match, so the one line written goes to stderr and meets the closed pipe.
    const script = 'exec "$0" "$1" search no-such-word-anywhere --mode keyword 2>&1';
    const child = spawn('bash', ['-c', script, process.execPath, join(DIST, 'cli', 'engram.js')], {
      cwd: store.dir,
      env: { ...inheritedEnv(), HOME: store.dir, ...store.env },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.stdout!.destroy(); // the reader is gone before the first line
    const [code] = await once(child, 'close');
    assert.equal(code, 0);
  });
});
