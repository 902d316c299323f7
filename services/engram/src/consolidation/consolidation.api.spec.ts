import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { callTool, connectHttpClient, McpTestClient } from '../testing/mcp-client';
import { startTestPostgres, TestPostgres } from '../testing/postgres-test-server';
import { openSse, SseClient } from '../testing/sse-client';
import { startTestApp, TestApp } from '../testing/test-app';

const BOOTSTRAP = 'bootstrap-key-0123456789abcdef';
const YEAR_S = 365 * 86_400;

/** Rewordings of one fact (cosine ≈ 0.97 with the bundled model), two notes on the boiler (≈ 0.84). */
const STANDUP = 'The team stand-up is at 9:30 every weekday in room 4.';
const STANDUP_AGAIN = 'The team stand-up is at 9:30 each weekday in room 4';
const BOILER = 'The boiler is serviced every October by the heating company. Their number is on the fridge.';
const BOILER_ENGINEER = 'The boiler is serviced every October by the heating company. The engineer is called Ines.';
const PRINTER = 'The old office printer needs toner cartridges of type TN-2420';
const PARKING = 'Parking permits for the car park are renewed in January';
const BINS = 'The recycling bins are collected on Thursday mornings';
/** A contradiction 0.95 alike: conflict review's, never a merge. */
const LANDS = 'The flight to Lisbon lands at 18:40';
const LANDS_EARLIER = 'The flight to Lisbon lands at 07:15';

describe('consolidation as reviewable jobs (REST): proposals first, applied only as reviewed', () => {
  let api: TestApp;
  let events: SseClient;
  const auth = { authorization: `Bearer ${BOOTSTRAP}` };
  const request = (method: string, path: string, body?: unknown, headers = auth) =>
    api.request(method, path, { headers, body });
  const hashes = new Map<string, string>();
  const store = async (content: string, fields: Record<string, unknown> = {}, headers = auth) => {
    const stored = await request('POST', '/api/memories', { content, ...fields }, headers);
    assert.equal(stored.status, 201, stored.text);
    hashes.set(content, stored.body.content_hash);
    return stored.body.content_hash as string;
  };
  const hash = (content: string) => hashes.get(content)!;
  /** Triggers a run and waits for it through the status route, as a client would. */
  const consolidate = async (body: Record<string, unknown>, headers = auth) => {
    const queued = await request('POST', '/api/consolidation/trigger', body, headers);
    assert.equal(queued.status, 202, queued.text);
    for (;;) {
      const status = await request('GET', '/api/consolidation/status', undefined, headers);
      assert.equal(status.status, 200, status.text);
      const last = status.body.last_job;
      if (!status.body.running && last?.id === queued.body.job_id) {
        assert.equal(last.state, 'completed', status.text);
        return { queued: queued.body, result: last.result, status: status.body };
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const recommendations = async (query = '', headers = auth) =>
    (await request('GET', `/api/consolidation/recommendations${query}`, undefined, headers)).body;
  const mergeOf = (set: any, content: string) =>
    set.items.find((item: any) => item.kind === 'merge' && item.members.some((m: any) => m.content === content));
  const archiveOf = (set: any, content: string) =>
    set.items.find((item: any) => item.kind === 'archive' && item.members[0].content === content);
  let setId = '';

  before(async () => {
    api = await startTestApp({ MCP_API_KEY: BOOTSTRAP });
    events = await openSse(`${api.url}/api/events/stream?frames=named&api_key=${BOOTSTRAP}`);
    const longAgo = Math.floor(Date.now() / 1000) - 2 * YEAR_S;
    await store(STANDUP);
    await store(STANDUP_AGAIN);
    await store(BOILER);
    await store(BOILER_ENGINEER);
    await store(PRINTER, { created_at: longAgo });
    await store(PARKING, { created_at: longAgo });
    await store(BINS);
    await store(LANDS);
    await store(LANDS_EARLIER);
    // Read once: the boiler note leads its group, and the parking note is not unused.
    for (const content of [BOILER, PARKING]) {
      assert.equal((await request('GET', `/api/memories/${hash(content)}`)).status, 200);
    }
  });
  after(async () => {
    events.close();
    await api.close();
  });

  it('answers 202 with a job; the dry run stores a proposal set and changes no memory', async () => {
    const before = (await request('GET', '/api/memories?page_size=100')).body;
    const { queued, result, status } = await consolidate({ similarity_threshold: 0.8, time_horizon: 'weekly' });
    assert.equal(queued.dry_run, true, 'a dry run unless asked otherwise');
    assert.equal(queued.horizon, 'weekly');
    assert.equal(result.processed, 9);
    assert.deepEqual([result.merge_proposals, result.archive_proposals], [2, 1]);
    assert.equal(result.contradictions_skipped, 1, 'the two landing times are not merged');
    assert.deepEqual([result.compressed, result.forgotten], [0, 0], 'nothing applied');
    assert.equal(status.jobs_executed, 1);
    assert.equal(status.next_daily, null, 'nothing is scheduled');
    assert.equal(status.last_job.progress, 100);

    const advice = await recommendations();
    assert.equal(advice.recommendation, 'CONSOLIDATION_BENEFICIAL');
    assert.equal(advice.memory_count, 9);
    const set = advice.proposal_set;
    setId = set.id;
    assert.equal(set.id, result.proposal_set_id);
    assert.equal(set.settings.similarity_threshold, 0.8);
    const standup = mergeOf(set, STANDUP);
    assert.deepEqual(standup.members.map((m: any) => m.content).sort(), [STANDUP, STANDUP_AGAIN].sort());
    assert.equal(standup.keep, hash(STANDUP), 'the longer of two unused rewordings leads');
    assert.equal(standup.merged_content, STANDUP, 'a rewording adds nothing');
    assert.ok(standup.similarity >= 0.8 && standup.similarity <= 1);
    const boiler = mergeOf(set, BOILER);
    assert.equal(boiler.keep, hash(BOILER), 'the used note leads');
    assert.equal(
      boiler.merged_content,
      `${BOILER} The engineer is called Ines.`,
      'the sentence only the other states is joined',
    );
    assert.ok(archiveOf(set, PRINTER), 'old and never used');
    assert.equal(archiveOf(set, PARKING), undefined, 'old but read');
    assert.equal(archiveOf(set, BINS), undefined, 'recent');
    assert.equal(mergeOf(set, LANDS), undefined);
    assert.ok(set.items.every((item: any) => item.state === 'proposed'));

    const after = (await request('GET', '/api/memories?page_size=100')).body;
    assert.deepEqual(after, before, 'a dry run changes nothing');
    assert.equal((await request('GET', '/api/memories/trash')).body.total, 0);
  });

  it('applies a reviewed merge: the merged memory names its sources, which are superseded, not deleted', async () => {
    const set = (await recommendations(`?proposal_set_id=${setId}`)).proposal_set;
    const standup = mergeOf(set, STANDUP);
    const applied = await request('POST', '/api/consolidation/apply', {
      proposal_set_id: setId,
      item_ids: [standup.id],
    });
    assert.equal(applied.status, 200, applied.text);
    assert.deepEqual([applied.body.merged, applied.body.archived, applied.body.skipped], [1, 0, 0]);
    assert.deepEqual(applied.body.items[0].superseded, [hash(STANDUP_AGAIN)]);
    const kept = (await request('GET', `/api/memories/${hash(STANDUP)}`)).body;
    assert.deepEqual(kept.metadata.consolidated_from, [hash(STANDUP_AGAIN)]);
    const source = (await request('GET', `/api/memories/${hash(STANDUP_AGAIN)}`)).body;
    assert.equal(source.superseded_by, hash(STANDUP), 'kept as history');
    const history = (await request('GET', `/api/memories/${hash(STANDUP_AGAIN)}/history`)).body;
    assert.deepEqual(
      history.versions.map((v: any) => v.content_hash),
      [hash(STANDUP_AGAIN), hash(STANDUP)],
    );
    const found = (await request('POST', '/api/search', { query: 'team stand-up room 4', n_results: 10 })).body;
    const foundHashes = found.results.map((hit: any) => hit.memory.content_hash);
    assert.ok(foundHashes.includes(hash(STANDUP)));
    assert.ok(!foundHashes.includes(hash(STANDUP_AGAIN)), 'the superseded source is hidden by default');
    await events.waitFor((frames) =>
      frames.some(
        (frame) =>
          frame.event === 'memory_superseded' && JSON.parse(frame.data).payload.content_hash === hash(STANDUP_AGAIN),
      ),
    );

    const again = await request('POST', '/api/consolidation/apply', { proposal_set_id: setId, item_ids: [standup.id] });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.items[0].already_applied, true, 'applied once');
    const reviewed = mergeOf((await recommendations()).proposal_set, STANDUP);
    assert.equal(reviewed.state, 'applied');
  });

  it('stores a joined merge as a new memory superseding every source, with provenance', async () => {
    const boiler = mergeOf((await recommendations()).proposal_set, BOILER);
    const applied = await request('POST', '/api/consolidation/apply', {
      proposal_set_id: setId,
      item_ids: [boiler.id],
    });
    assert.equal(applied.status, 200, applied.text);
    const merged = applied.body.items[0].memory;
    const memory = (await request('GET', `/api/memories/${merged}`)).body;
    assert.equal(memory.content, `${BOILER} The engineer is called Ines.`);
    assert.deepEqual([...memory.metadata.consolidated_from].sort(), [hash(BOILER), hash(BOILER_ENGINEER)].sort());
    for (const source of [BOILER, BOILER_ENGINEER]) {
      const old = (await request('GET', `/api/memories/${hash(source)}`)).body;
      assert.equal(old.superseded_by, merged);
      assert.equal(old.content, source, 'the source keeps its content');
    }
    const history = (await request('GET', `/api/memories/${merged}/history`)).body;
    assert.equal(history.total, 3);
    assert.equal(history.versions.at(-1).content_hash, merged, 'the merged memory holds now');
    assert.equal((await request('GET', '/api/memories/trash')).body.total, 0, 'nothing deleted');
  });

  it('archives an unused memory into the trash, out of default search, skips one used since the proposal, and a restore brings the archived one back', async () => {
    // A namespace of its own, where no other case's search counts as a use of these memories.
    const key = await request('POST', '/api/admin/keys', {
      name: 'archives',
      scopes: ['write'],
      namespace: 'archives',
    });
    const archives = { authorization: `Bearer ${key.body.key}` };
    const longAgo = Math.floor(Date.now() / 1000) - 2 * YEAR_S;
    const unused = await store(PRINTER, { created_at: longAgo }, archives);
    const used = await store(PARKING, { created_at: longAgo }, archives);
    const { result } = await consolidate({}, archives);
    assert.equal(result.archive_proposals, 2, 'both old and never used');
    const set = (await recommendations('', archives)).proposal_set;
    // Read after the proposal and applied at once: the use counts whether or not it has been written yet.
    assert.equal((await request('GET', `/api/memories/${used}`, undefined, archives)).status, 200);
    const applied = await request('POST', '/api/consolidation/apply', { proposal_set_id: set.id }, archives);
    assert.equal(applied.status, 200, applied.text);
    assert.deepEqual([applied.body.archived, applied.body.skipped], [1, 1], applied.text);
    const outcomeOf = (content: string) =>
      applied.body.items.find((item: any) => item.id === archiveOf(set, content).id);
    assert.deepEqual([outcomeOf(PRINTER).status, outcomeOf(PRINTER).memory], ['archived', unused]);
    assert.deepEqual([outcomeOf(PARKING).status, outcomeOf(PARKING).reason], ['skipped', 'used since the proposal']);
    assert.equal(
      (await request('GET', `/api/memories/${used}`, undefined, archives)).status,
      200,
      'the used one stays',
    );

    assert.equal((await request('GET', `/api/memories/${unused}`, undefined, archives)).status, 404);
    const search = async () =>
      (await request('POST', '/api/search', { query: 'printer toner cartridges', n_results: 10 }, archives)).body;
    assert.ok(!(await search()).results.some((hit: any) => hit.memory.content_hash === unused));
    assert.equal((await request('GET', `/api/memories/trash/${unused}`, undefined, archives)).status, 200);
    const restored = await request('POST', `/api/memories/${unused}/restore`, undefined, archives);
    assert.equal(restored.status, 200, restored.text);
    assert.ok((await search()).results.some((hit: any) => hit.memory.content_hash === unused));
    const advice = await recommendations('', archives);
    assert.equal(advice.recommendation, 'NO_CONSOLIDATION_NEEDED', 'every item of the set was applied');
  });

  it('removes exact duplicates only: same text but for case and whitespace', async () => {
    const kept = await store('Buy oat milk on the way home');
    const twin = await store('buy  oat milk\non the way HOME ');
    const different = await store('Buy oat milk on the way home!');
    const preview = await request('POST', '/api/consolidation/cleanup', { dry_run: true });
    assert.deepEqual([preview.body.removed, preview.body.duplicates_found], [0, 1]);
    assert.equal((await request('GET', `/api/memories/${twin}`)).status, 200, 'a dry run removes nothing');
    const cleaned = await request('POST', '/api/consolidation/cleanup');
    assert.equal(cleaned.status, 200, cleaned.text);
    assert.equal(cleaned.body.removed, 1);
    assert.deepEqual(cleaned.body.groups, [{ kept, removed: [twin] }], 'the first stored of unused twins stays');
    assert.equal((await request('GET', `/api/memories/${twin}`)).status, 404);
    assert.equal((await request('GET', `/api/memories/${kept}`)).status, 200);
    assert.equal((await request('GET', `/api/memories/${different}`)).status, 200, 'punctuation makes another text');
    assert.equal((await request('POST', '/api/consolidation/cleanup', {})).body.removed, 0, 'nothing left to remove');
  });

  it('compares whole texts: memories that share a long opening are not duplicates', async () => {
    const opening = `Quarterly plan: ${'background '.repeat(30)}`;
    const ship = await store(`${opening}-- DECISION: ship in March.`);
    const cancel = await store(`${opening}-- DECISION: cancel the product.`);
    const twin = await store(`${opening.toUpperCase()}  -- decision: ship in march.`);
    const preview = await request('POST', '/api/consolidation/cleanup', { dry_run: true });
    assert.deepEqual(preview.body.groups, [{ kept: ship, removed: [twin] }]);
    const cleaned = await request('POST', '/api/consolidation/cleanup');
    assert.equal(cleaned.body.removed, 1, cleaned.text);
    assert.equal((await request('GET', `/api/memories/${cancel}`)).status, 200, 'another decision stays');
    assert.equal((await request('GET', `/api/memories/${twin}`)).status, 404);
    await request('DELETE', `/api/memories/${ship}`);
    await request('DELETE', `/api/memories/${cancel}`);
  });

  it('refuses bad input with 4xx JSON naming the problem', async () => {
    const threshold = await request('POST', '/api/consolidation/trigger', { similarity_threshold: 1.5 });
    assert.equal(threshold.status, 400);
    assert.match(threshold.body.message, /similarity_threshold/);
    const horizon = await request('POST', '/api/consolidation/trigger', { time_horizon: 'hourly' });
    assert.equal(horizon.status, 400);
    assert.match(horizon.body.message, /time_horizon/);
    assert.equal((await request('POST', '/api/consolidation/trigger', { dry_run: 'no' })).status, 400);
    const unknownSet = await request('POST', '/api/consolidation/apply', { proposal_set_id: 'cs-nope' });
    assert.equal(unknownSet.status, 404);
    assert.match(unknownSet.body.message, /cs-nope/);
    const unknownItem = await request('POST', '/api/consolidation/apply', { proposal_set_id: setId, item_ids: [99] });
    assert.equal(unknownItem.status, 400);
    assert.match(unknownItem.body.message, /item_ids.*99/);
    const malformed = await request('POST', '/api/consolidation/apply', { proposal_set_id: '../x' });
    assert.equal(malformed.status, 400);
    assert.match(malformed.body.message, /proposal_set_id/);
    assert.equal((await request('GET', '/api/consolidation/recommendations/hourly')).status, 400);
    assert.equal((await request('GET', '/api/consolidation/recommendations?proposal_set_id=cs-nope')).status, 404);
    assert.equal((await request('POST', '/api/consolidation/cleanup', { dry_run: 1 })).status, 400);
  });

  it('keeps proposals, applies and cleanups inside their namespace', async () => {
    const created = await request('POST', '/api/admin/keys', { name: 'b', scopes: ['write'], namespace: 'team-b' });
    const teamB = { authorization: `Bearer ${created.body.key}` };
    const readOnly = await request('POST', '/api/admin/keys', { name: 'r', scopes: ['read'], namespace: 'team-b' });
    const reader = { authorization: `Bearer ${readOnly.body.key}` };
    assert.equal((await recommendations('', teamB)).recommendation, 'NO_PROPOSALS_YET');
    assert.equal((await request('GET', '/api/consolidation/status', undefined, teamB)).body.jobs_executed, 0);
    const foreign = await request('POST', '/api/consolidation/apply', { proposal_set_id: setId }, teamB);
    assert.equal(foreign.status, 404, 'another namespace cannot see or apply the set');
    const peek = await request('GET', `/api/consolidation/recommendations?proposal_set_id=${setId}`, undefined, teamB);
    assert.equal(peek.status, 404);
    await request('POST', '/api/memories', { content: 'Team B notes' }, teamB);
    await request('POST', '/api/memories', { content: 'team b  notes' }, teamB);
    const twin = await store('Team B notes');
    const duplicate = await store('team  B notes');
    const cleaned = await request('POST', '/api/consolidation/cleanup', {}, teamB);
    assert.equal(cleaned.body.removed, 1, "team B's own twin only");
    assert.equal((await request('GET', `/api/memories/${duplicate}`)).status, 200, "the default namespace's stay");
    assert.equal((await request('GET', `/api/memories/${twin}`)).status, 200);
    const { result } = await consolidate({ stale_after_days: 1 }, teamB);
    assert.equal(result.processed, 1, 'a run reads its own namespace only');
    assert.equal((await request('POST', '/api/consolidation/trigger', {}, reader)).status, 403);
    assert.equal((await request('POST', '/api/consolidation/cleanup', {}, reader)).status, 403);
    assert.equal((await request('GET', '/api/consolidation/status', undefined, reader)).status, 200);
  });
});

describe('consolidation over MCP (memory_consolidate, memory_cleanup) and without a dry run', () => {
  let api: TestApp;
  let mcp: McpTestClient;

  before(async () => {
    api = await startTestApp({ MCP_API_KEY: BOOTSTRAP, ENGRAM_CONSOLIDATION_SIMILARITY: '0.95' });
    ({ client: mcp } = await connectHttpClient(api.url, BOOTSTRAP));
    for (const content of [STANDUP, STANDUP_AGAIN, BOILER, BOILER_ENGINEER, 'Call Ana  back', 'call ana back']) {
      const stored = await callTool(mcp, 'memory_store', { content });
      assert.equal(stored.isError, undefined, stored.text);
    }
  });
  after(async () => {
    await mcp.close();
    await api.close();
  });

  const waitForRun = async (jobId: string) => {
    for (;;) {
      const status = await callTool(mcp, 'memory_consolidate', { action: 'status' });
      assert.equal(status.isError, undefined, status.text);
      const { running, last_job } = status.structured.result;
      if (!running && last_job?.id === jobId) return last_job;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  it('runs, recommends and applies with the setting as threshold', async () => {
    const run = await callTool(mcp, 'memory_consolidate', {});
    assert.equal(run.isError, undefined, run.text);
    assert.equal(run.structured.result.dry_run, true);
    const job = await waitForRun(run.structured.result.job_id);
    assert.equal(job.result.merge_proposals, 1, 'only the rewordings reach ENGRAM_CONSOLIDATION_SIMILARITY=0.95');
    const advice = await callTool(mcp, 'memory_consolidate', { action: 'recommend' });
    assert.deepEqual(advice.structured.result.reasons, ['1 group of near-duplicates could be merged']);
    const set = advice.structured.result.proposal_set;
    assert.equal(set.items[0].keep.length, 64);
    const refused = await callTool(mcp, 'memory_consolidate', { action: 'apply' });
    assert.equal(refused.isError, true);
    assert.match(refused.text, /proposal_set_id/);
    const applied = await callTool(mcp, 'memory_consolidate', { action: 'apply', proposal_set_id: set.id });
    assert.equal(applied.isError, undefined, applied.text);
    assert.equal(applied.structured.result.merged, 1);
    const history = await callTool(mcp, 'memory_history', { content_hash: set.items[0].members[1].content_hash });
    assert.equal(history.structured.versions.length, 2);
  });

  it('applies its own proposals at once when dry_run is false', async () => {
    const run = await callTool(mcp, 'memory_consolidate', { dry_run: false, similarity_threshold: 0.8 });
    const job = await waitForRun(run.structured.result.job_id);
    assert.deepEqual([job.result.merge_proposals, job.result.compressed], [1, 2], 'the boiler notes, both superseded');
    assert.equal(job.stage, 'applying 1 proposal', 'the stage the job ended in, counted as people write it');
  });

  it('removes exact duplicates with memory_cleanup', async () => {
    const cleaned = await callTool(mcp, 'memory_cleanup', {});
    assert.equal(cleaned.isError, undefined, cleaned.text);
    assert.equal(cleaned.structured.removed, 1);
    assert.match(cleaned.text, /^Removed 1 exact duplicate \(to the trash, restorable\)/);
    const bad = await callTool(mcp, 'memory_consolidate', { similarity_threshold: 2 });
    assert.equal(bad.isError, true);
  });
});

describe('consolidation on PostgreSQL: the same run, review and apply', () => {
  let server: TestPostgres;
  let api: TestApp;
  const post = async (path: string, body?: unknown) => api.request('POST', path, { body });

  before(async () => {
    server = await startTestPostgres();
    api = await startTestApp({ MCP_MEMORY_STORAGE_BACKEND: 'postgres', DATABASE_URL: server.url });
  });
  after(async () => {
    await api.close();
    await server.close();
  });

  it('proposes, applies a merge with provenance and an archive, skips an archive used since, and restores the archived memory', async () => {
    const longAgo = Math.floor(Date.now() / 1000) - 2 * YEAR_S;
    const [kept, source, old, oldButUsed] = await Promise.all(
      [
        { content: STANDUP },
        { content: STANDUP_AGAIN },
        { content: PRINTER, created_at: longAgo },
        { content: PARKING, created_at: longAgo },
      ].map(async (body) => (await post('/api/memories', body)).body.content_hash as string),
    );
    const queued = await post('/api/consolidation/trigger');
    assert.equal(queued.status, 202, queued.text);
    let status = (await api.request('GET', '/api/consolidation/status')).body;
    while (status.running || status.last_job?.id !== queued.body.job_id) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      status = (await api.request('GET', '/api/consolidation/status')).body;
    }
    assert.equal(status.last_job.state, 'completed', JSON.stringify(status.last_job));
    const set = (await api.request('GET', '/api/consolidation/recommendations')).body.proposal_set;
    assert.deepEqual(
      set.items.map((item: any) => item.kind),
      ['merge', 'archive', 'archive'],
    );
    // Used after the proposal, at once before the apply: skipped whether or not the use has been written yet.
    assert.equal((await api.request('GET', `/api/memories/${oldButUsed}`)).status, 200);
    const applied = await post('/api/consolidation/apply', { proposal_set_id: set.id });
    assert.deepEqual([applied.body.merged, applied.body.archived, applied.body.skipped], [1, 1, 1], applied.text);
    const skipped = applied.body.items.find((item: any) => item.status === 'skipped');
    assert.equal(skipped.reason, 'used since the proposal');
    assert.equal((await api.request('GET', `/api/memories/${oldButUsed}`)).status, 200);
    assert.deepEqual((await api.request('GET', `/api/memories/${kept}`)).body.metadata.consolidated_from, [source]);
    assert.equal((await api.request('GET', `/api/memories/${source}`)).body.superseded_by, kept);
    assert.equal((await api.request('GET', `/api/memories/${old}`)).status, 404);
    assert.equal((await post(`/api/memories/${old}/restore`)).status, 200);
    assert.equal((await api.request('GET', `/api/memories/${old}`)).status, 200);
  });
});
