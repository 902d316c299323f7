import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, TestApp } from '../testing/test-app';
import { quantile } from './metrics-history';

const ADMIN_KEY = 'overview-admin-key-0123456789';
const DAY_MS = 86_400_000;

describe('GET /api/overview: figures for the dashboard charts', () => {
  let api: TestApp;
  let boundKey: string;
  before(async () => {
    api = await startTestApp({ MCP_API_KEY: ADMIN_KEY, ENGRAM_TIMEZONE: 'UTC' });
    const created = await api.request('POST', '/api/admin/keys', {
      body: { name: 'team b', scopes: ['write'], namespace: 'team-b' },
      headers: { 'X-API-Key': ADMIN_KEY },
    });
    boundKey = created.body.key;
  });
  after(async () => {
    await api.close();
  });

  const admin = { 'X-API-Key': ADMIN_KEY };
  const store = (body: Record<string, unknown>, headers = admin) =>
    api.request('POST', '/api/memories', { body, headers });

  it('counts memories per day over 30 days, older ones apart, by type and top tags', async () => {
    const now = Date.now();
    await store({ content: 'Today, a decision', memory_type: 'decision', tags: ['work'] });
    await store({ content: 'Two days ago', created_at: new Date(now - 2 * DAY_MS).toISOString(), tags: ['work'] });
    await store({ content: 'Long ago', created_at: new Date(now - 90 * DAY_MS).toISOString(), tags: ['old'] });
    const deleted = await store({ content: 'Deleted today' });
    await api.request('DELETE', `/api/memories/${deleted.body.content_hash}`, { headers: admin });

    const { status, body } = await api.request('GET', '/api/overview', { headers: admin });
    assert.equal(status, 200);
    assert.equal(body.namespace, 'default');
    assert.equal(body.memories.per_day.length, 30);
    const today = new Date(now).toISOString().slice(0, 10);
    const twoDaysAgo = new Date(now - 2 * DAY_MS).toISOString().slice(0, 10);
    assert.equal(body.memories.per_day.at(-1).day, today);
    const created = Object.fromEntries(body.memories.per_day.map((entry: any) => [entry.day, entry.created]));
    assert.equal(created[today], 1, 'the deleted memory is not counted');
    assert.equal(created[twoDaysAgo], 1);
    assert.equal(body.memories.before, 1);
    assert.equal(body.memories.total, 3);
    assert.deepEqual(body.memories.top_tags[0], { tag: 'work', count: 2 });
    assert.ok(body.memories.by_type.some((type: any) => type.memory_type === 'decision' && type.count === 1));
  });

  it("shows an unbound credential the server's request rate and search latency, the latest interval included", async () => {
    for (let i = 0; i < 3; i++) {
      await api.request('POST', '/api/search', { body: { query: 'decision', mode: 'keyword' }, headers: admin });
    }
    const { body } = await api.request('GET', '/api/overview', { headers: admin });
    assert.equal(body.traffic.interval_seconds, 15);
    const latest = body.traffic.points.at(-1);
    assert.ok(latest.searches >= 3, `searches ${latest.searches}`);
    assert.ok(latest.requests_per_second > 0);
    assert.ok(latest.search_mean_ms > 0 && latest.search_p95_ms > 0);
  });

  it('gives a key bound to a namespace only its own figures: no server-wide traffic', async () => {
    await store({ content: 'Team B note' }, { 'X-API-Key': boundKey });
    const { body } = await api.request('GET', '/api/overview', { headers: { 'X-API-Key': boundKey } });
    assert.equal(body.namespace, 'team-b');
    assert.equal(body.memories.total, 1);
    assert.equal(body.traffic, null);
  });
});

describe('quantile over histogram buckets', () => {
  const buckets = [
    { bound: 0.01, count: 50 },
    { bound: 0.1, count: 90 },
    { bound: 1, count: 100 },
    { bound: Infinity, count: 100 },
  ];

  it('interpolates inside the bucket that holds the rank', () => {
    assert.equal(quantile(0.5, buckets, 100), 0.01);
    assert.ok(Math.abs(quantile(0.7, buckets, 100) - 0.055) < 1e-9);
    assert.ok(Math.abs(quantile(0.95, buckets, 100) - 0.55) < 1e-9);
  });

  it('answers the highest finite bound when the rank lies in +Inf', () => {
    assert.equal(
      quantile(
        0.99,
        [
          { bound: 0.1, count: 1 },
          { bound: Infinity, count: 10 },
        ],
        10,
      ),
      0.1,
    );
  });
});
