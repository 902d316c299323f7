import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { CliStore, openCliStore, runEngram, RunningStack, serviceHelper, startApiAndWorker } from './engram-cli';
import { call, tempDir } from './process-harness';

/** Two rewordings (cosine 0.93 with the test double's 16-dimension vectors) and an unrelated note. */
const STANDUP = 'The team stand-up is at 9:30 every weekday in room 4.';
const STANDUP_AGAIN = 'The team stand-up is at 9:30 each weekday in room 4';
const MILK = 'Buy oat milk on the way home';

describe('engram consolidate (a real SQLite file, the job in-process)', () => {
  let store: CliStore;
  const engram = (args: string[]) => store.engram(args);

  before(async () => {
    store = await openCliStore('cli-consolidate-model');
    for (const content of [STANDUP, STANDUP_AGAIN, MILK]) assert.equal((await engram(['store', content])).code, 0);
  });
  after(() => store?.close());

  it('prints the proposals of a dry run, changing nothing, then applies the reviewed set', async () => {
    const run = await engram(['consolidate', '--similarity', '0.9']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^proposal set (cs-[\w-]+) \(3 memories compared\): 1 merge, 0 archives\n/);
    assert.match(
      run.stdout,
      /merge {4}[0-9a-f]{12} ← [0-9a-f]{12} {2}similarity 0\.9\d+\n {5}The team stand-up is at 9:30 every weekday/,
    );
    assert.match(run.stderr, /100% /, 'progress on stderr');
    assert.equal(JSON.parse((await engram(['list', '--json'])).stdout).total, 3, 'a dry run changes nothing');

    const json = await engram(['consolidate', '--similarity', '0.9', '--json']);
    const set = JSON.parse(json.stdout);
    assert.equal(set.items.length, 1);
    const applied = await engram(['consolidate', '--apply', set.id, '--items', '1']);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, new RegExp(`^applied proposal set ${set.id}: 1 merged, 0 archived, 0 skipped\n`));
    const listed = JSON.parse((await engram(['list', '--json'])).stdout);
    assert.deepEqual(listed.memories.map((m: any) => m.content).sort(), [MILK, STANDUP].sort());
    const kept = listed.memories.find((m: any) => m.content === STANDUP);
    assert.deepEqual(kept.metadata.consolidated_from, [
      set.items[0].members.find((m: any) => m.content === STANDUP_AGAIN).content_hash,
    ]);
  });

  it('names bad input with the flag the user typed', async () => {
    const threshold = await engram(['consolidate', '--similarity', '2']);
    assert.equal(threshold.code, 64);
    assert.match(threshold.stderr, /^engram consolidate: --similarity: /);
    const items = await engram(['consolidate', '--items', '1']);
    assert.equal(items.code, 64);
    assert.match(items.stderr, /--items goes with --apply/);
    // The flag the user typed, never the REST field (proposal_set_id, item_ids) or route it fills.
    const notAnId = await engram(['consolidate', '--apply', 'not an id']);
    assert.equal(notAnId.code, 64);
    assert.match(
      notAnId.stderr,
      /^engram consolidate: --apply: expected the id of a proposal set, as engram consolidate prints it\n/,
    );
    const set = JSON.parse((await engram(['consolidate', '--json'])).stdout);
    // A set that is not there: what was given, and the newest set the namespace holds (or that it has none).
    const unknown = await engram(['consolidate', '--apply', 'cs-nope']);
    assert.equal(unknown.code, 64, unknown.stderr);
    const made = set.created_at_iso.slice(0, 16).replace('T', ' ');
    assert.equal(
      unknown.stderr,
      `engram consolidate: --apply: no proposal set "cs-nope" in namespace "default"; the newest there is ${set.id}, ` +
        `made ${made} UTC\n`,
    );
    const elsewhere = await engram(['consolidate', '--apply', set.id, '--namespace', 'work']);
    assert.equal(elsewhere.code, 64, elsewhere.stderr);
    assert.equal(
      elsewhere.stderr,
      `engram consolidate: --apply: no proposal set "${set.id}" in namespace "work", which has none yet ` +
        '(engram consolidate makes one)\n',
    );
    const unknownItem = await engram(['consolidate', '--apply', set.id, '--items', '99']);
    assert.equal(unknownItem.code, 64, unknownItem.stderr);
    assert.equal(unknownItem.stderr, `engram consolidate: --items: not in proposal set ${set.id}: 99\n`);
  });

  it('says a store another writer holds (as a restore does) in one line, to try again, and exits 75', async () => {
    const set = JSON.parse((await engram(['consolidate', '--json'])).stdout);
    const writer = serviceHelper('storage/sqlite.connection.js').openSqliteDatabase(
      store.env.MCP_MEMORY_SQLITE_PATH,
      {},
    );
    writer.exec('BEGIN IMMEDIATE');
    const impatient = { ...store.env, MCP_MEMORY_SQLITE_PRAGMAS: 'busy_timeout=200' };
    const busy =
      'engram: The database is locked by a long write elsewhere (a restore or reindex switch); retry shortly\n';
    try {
      const commands = [['consolidate', '--apply', set.id], ['store', 'a new note'], ['list'], ['backup']];
      // keys and oauth open the store without writing: they meet the lock at their first write.
      const keys = ['keys', 'create', '--name', 'ops', '--scopes', 'read,write,admin'];
      for (const args of [...commands, keys, ['oauth', 'clients']]) {
        const run = await runEngram(args, impatient, store.dir);
        assert.equal(run.code, 75, `${args.join(' ')}: ${run.stderr}`);
        assert.equal(run.stderr, busy, args.join(' '));
      }
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
    const applied = await engram(['consolidate', '--apply', set.id]);
    assert.equal(applied.code, 0, `once the writer is done: ${applied.stderr}`);
  });
});

describe('consolidation on the worker (BullMQ on a real Redis)', () => {
  const KEY = 'consolidation-e2e-key-0123456789';
  const headers = { authorization: `Bearer ${KEY}` };
  let dir: string;
  let stack: RunningStack;

  before(async () => {
    dir = tempDir();
    stack = await startApiAndWorker(dir, { apiKey: KEY });
  });
  after(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the job on the worker; the api serves its status, proposals and the apply', async () => {
    const url = stack.api.url;
    const hashes: string[] = [];
    for (const content of [STANDUP, STANDUP_AGAIN, MILK]) {
      hashes.push((await call(url, 'POST', '/api/memories', { content }, headers)).body.content_hash);
    }
    const queued = await call(url, 'POST', '/api/consolidation/trigger', { similarity_threshold: 0.9 }, headers);
    assert.equal(queued.status, 202);
    let status = (await call(url, 'GET', '/api/consolidation/status', undefined, headers)).body;
    while (status.running || status.last_job?.id !== queued.body.job_id) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await call(url, 'GET', '/api/consolidation/status', undefined, headers)).body;
    }
    assert.equal(status.last_job.state, 'completed', JSON.stringify(status.last_job));
    assert.equal(status.last_job.result.merge_proposals, 1);
    const set = (await call(url, 'GET', '/api/consolidation/recommendations', undefined, headers)).body.proposal_set;
    const applied = await call(url, 'POST', '/api/consolidation/apply', { proposal_set_id: set.id }, headers);
    assert.equal(applied.body.merged, 1);
    const source = (await call(url, 'GET', `/api/memories/${hashes[1]}`, undefined, headers)).body;
    assert.equal(source.superseded_by, hashes[0]);
  });
});
