import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { callTool, connectHttpClient, McpTestClient } from '../testing/mcp-client';
import { startTestApp, TestApp } from '../testing/test-app';

const BOOTSTRAP = 'bootstrap-key-0123456789abcdef';
interface LabelledPair {
  id: number;
  kind: string;
  older: string;
  newer: string;
}
/** The labelled set of the benchmark (bench/conflicts/pairs.json), found from the build output. */
const { pairs } = JSON.parse(
  readFileSync(join(__dirname, '..', '..', '..', '..', 'bench', 'conflicts', 'pairs.json'), 'utf8'),
) as { pairs: LabelledPair[] };
const pair = (id: number) => pairs.find((candidate) => candidate.id === id)!;

describe('contradiction review: proposals from a scan job, decisions remembered, nothing applied silently', () => {
  let api: TestApp;
  let mcp: McpTestClient;
  const auth = { authorization: `Bearer ${BOOTSTRAP}` };
  const request = (method: string, path: string, body?: unknown, headers = auth) =>
    api.request(method, path, { headers, body });
  const store = async (content: string, headers = auth) =>
    (await request('POST', '/api/memories', { content }, headers)).body.memory.content_hash as string;
  const scan = async (headers = auth) => {
    const queued = await request('POST', '/api/conflicts/scan', undefined, headers);
    assert.equal(queued.status, 202, queued.text);
    for (;;) {
      const job = await request('GET', queued.body.status_url, undefined, headers);
      assert.equal(job.status, 200, job.text);
      if (job.body.state === 'completed') return job.body.result;
      assert.ok(!['failed', 'cancelled'].includes(job.body.state), job.text);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const openConflicts = async (headers = auth) => (await request('GET', '/api/conflicts', undefined, headers)).body;
  const storedPairs = new Map<number, { older: string; newer: string }>();

  before(async () => {
    api = await startTestApp({ MCP_API_KEY: BOOTSTRAP });
    ({ client: mcp } = await connectHttpClient(api.url, BOOTSTRAP));
    // Two contradictions, an update, and three pairs that must not be proposed (duplicate, compatible, unrelated).
    for (const id of [13, 20, 42, 66, 103, 158]) {
      const { older, newer } = pair(id);
      storedPairs.set(id, { older: await store(older), newer: await store(newer) });
    }
  });
  after(async () => {
    await mcp.close();
    await api.close();
  });

  const proposedPairs = (conflicts: any[]) =>
    conflicts.map((conflict) => [conflict.older.content_hash, conflict.newer.content_hash].sort().join(' '));
  const key = (id: number) => [storedPairs.get(id)!.older, storedPairs.get(id)!.newer].sort().join(' ');

  it('proposes the contradicting pairs with evidence and a score, and none of the compatible ones', async () => {
    const result = await scan();
    assert.equal(result.scanned, 12);
    const listed = await openConflicts();
    const proposed = proposedPairs(listed.conflicts);
    for (const id of [13, 20, 42]) assert.ok(proposed.includes(key(id)), `pair ${id} (${pair(id).kind}) proposed`);
    for (const id of [66, 103, 158])
      assert.ok(!proposed.includes(key(id)), `pair ${id} (${pair(id).kind}) not proposed`);
    const conflict = listed.conflicts.find((c: any) => proposedPairs([c])[0] === key(42));
    assert.equal(conflict.status, 'open');
    assert.ok(conflict.score >= 0.6 && conflict.score <= 1);
    assert.ok(
      conflict.evidence.some((line: string) => /changed/.test(line)),
      conflict.evidence.join(' | '),
    );
    assert.equal(conflict.older.content, pair(42).older, 'older first');
    assert.equal(conflict.judge, null, 'no LLM judge is configured');
    const memory = await request('GET', `/api/memories/${storedPairs.get(13)!.older}`);
    assert.equal(memory.body.superseded, undefined, 'a proposal changes nothing');
    assert.equal(result.proposed, listed.total);
  });

  it('supersedes on resolve, answers a repeated decision unchanged, refuses a different one', async () => {
    const { conflicts } = await openConflicts();
    const target = conflicts.find((c: any) => proposedPairs([c])[0] === key(42));
    const body = { conflict_id: target.id, action: 'supersede', keep: target.newer.content_hash };
    const resolved = await request('POST', '/api/conflicts/resolve', body);
    assert.equal(resolved.status, 200, resolved.text);
    assert.equal(resolved.body.unchanged, false);
    assert.equal(resolved.body.conflict.status, 'resolved');
    assert.equal(resolved.body.conflict.kept, target.newer.content_hash);
    assert.equal(resolved.body.superseded.superseded_by, target.newer.content_hash);
    const old = await request('GET', `/api/memories/${target.older.content_hash}`);
    assert.equal(old.body.superseded_by, target.newer.content_hash);
    const again = await request('POST', '/api/conflicts/resolve', body);
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.unchanged, true);
    const other = await request('POST', '/api/conflicts/resolve', { conflict_id: target.id, action: 'dismiss' });
    assert.equal(other.status, 409);
    const notInPair = await request('POST', '/api/conflicts/resolve', {
      conflict_id: conflicts.find((c: any) => c.id !== target.id).id,
      action: 'supersede',
      keep: target.newer.content_hash,
    });
    assert.equal(notInPair.status, 400);
  });

  it('remembers a dismissal: a new scan does not propose the pair again', async () => {
    const target = (await openConflicts()).conflicts.find((c: any) => proposedPairs([c])[0] === key(13));
    const dismissed = await request('POST', '/api/conflicts/resolve', { conflict_id: target.id, action: 'dismiss' });
    assert.equal(dismissed.body.conflict.status, 'dismissed');
    const rescan = await scan();
    assert.equal(rescan.proposed, 0);
    assert.ok(!proposedPairs((await openConflicts()).conflicts).includes(key(13)));
    const all = (await request('GET', '/api/conflicts?status=dismissed')).body;
    assert.deepEqual(
      all.conflicts.map((c: any) => c.id),
      [target.id],
    );
  });

  it('refuses malformed decisions with 400 and unknown ones with 404', async () => {
    assert.equal((await request('POST', '/api/conflicts/resolve', { action: 'dismiss' })).status, 400);
    assert.equal((await request('POST', '/api/conflicts/resolve', { conflict_id: 1, action: 'merge' })).status, 400);
    assert.equal(
      (await request('POST', '/api/conflicts/resolve', { conflict_id: 1, action: 'supersede' })).status,
      400,
    );
    assert.equal(
      (await request('POST', '/api/conflicts/resolve', { conflict_id: 9999, action: 'dismiss' })).status,
      404,
    );
    assert.equal((await request('GET', '/api/conflicts?status=maybe')).status, 400);
    const keepIgnored = await request('POST', '/api/conflicts/resolve', {
      conflict_id: 1,
      action: 'keep_both',
      keep: 'a'.repeat(64),
    });
    assert.equal(keepIgnored.status, 400, 'keep would be silently ignored');
    assert.match(keepIgnored.body.message, /keep goes with supersede, not keep_both/);
  });

  it('keeps proposals inside their namespace', async () => {
    const key2 = (await request('POST', '/api/admin/keys', { name: 'b', scopes: ['write'], namespace: 'team-b' })).body
      .key;
    const teamB = { authorization: `Bearer ${key2}` };
    assert.equal((await openConflicts(teamB)).total, 0);
    const id = (await openConflicts()).conflicts[0].id;
    const foreign = await request('POST', '/api/conflicts/resolve', { conflict_id: id, action: 'dismiss' }, teamB);
    assert.equal(foreign.status, 404);
    const queued = await request('POST', '/api/conflicts/scan', undefined, auth);
    const peek = await request('GET', `/api/conflicts/scan/${queued.body.job_id}`, undefined, teamB);
    assert.equal(peek.status, 404);
  });

  it('lists and resolves over MCP (memory_conflicts, memory_resolve with winner_hash and loser_hash)', async () => {
    const listed = await callTool(mcp, 'memory_conflicts', { scan: true });
    assert.equal(listed.isError, undefined, listed.text);
    assert.equal(typeof listed.structured.scan_job_id, 'string');
    const target = listed.structured.conflicts.find((c: any) => proposedPairs([c])[0] === key(20));
    const resolved = await callTool(mcp, 'memory_resolve', {
      winner_hash: target.older.content_hash,
      loser_hash: target.newer.content_hash,
    });
    assert.equal(resolved.isError, undefined, resolved.text);
    assert.equal(resolved.structured.conflict.kept, target.older.content_hash, 'supersede either way: the older kept');
    assert.equal(resolved.structured.superseded.content_hash, target.newer.content_hash);
    const half = await callTool(mcp, 'memory_resolve', { winner_hash: target.older.content_hash });
    assert.equal(half.isError, true);
  });
});

describe('ENGRAM_CONFLICTS_ON_WRITE=suggest: the store answer lists possible conflicts', () => {
  let api: TestApp;
  before(async () => {
    api = await startTestApp({ ENGRAM_CONFLICTS_ON_WRITE: 'suggest' });
  });
  after(() => api.close());

  it('names the stored memory a new one contradicts, and lists nothing for an unrelated one', async () => {
    const first = (await api.request('POST', '/api/memories', { body: { content: pair(20).older } })).body;
    assert.deepEqual(first.possible_conflicts, []);
    const second = await api.request('POST', '/api/memories', { body: { content: pair(20).newer } });
    assert.equal(second.status, 201, second.text);
    assert.equal(second.body.possible_conflicts.length, 1);
    assert.equal(second.body.possible_conflicts[0].memory.content_hash, first.content_hash);
    assert.ok(second.body.possible_conflicts[0].evidence.length > 0);
    const listed = (await api.request('GET', '/api/conflicts')).body;
    assert.equal(listed.conflicts[0].id, second.body.possible_conflicts[0].conflict_id);
    const unrelated = await api.request('POST', '/api/memories', {
      body: { content: 'The kettle is descaled weekly' },
    });
    assert.deepEqual(unrelated.body.possible_conflicts, []);
  });
});
