import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTempDir, startTestApp, TestApp } from '../../testing/test-app';
import { waitFor } from '../../testing/wait-for';
import { SETTLE_MS } from './memory-folder.watcher';

const ADMIN_KEY = 'folder-watcher-admin-key-0123456789';
const admin = { 'X-API-Key': ADMIN_KEY };

/**
 * Hand edits in MEMORY_DIR (SQLite deployments) reach the history and search without a restart: a real
 * api on loopback watching a real folder. Waits are bounded relative to the same work done through the
 * API (a PUT journals and indexes one file), never by an absolute timer.
 */
describe('MEMORY_DIR watcher: hand edits on disk are journaled and searchable without a restart', () => {
  const dir = makeTempDir();
  let api: TestApp;
  let folder: string;
  /** How long the watcher may take: its settling delay, then many times what a PUT of one file takes. */
  let bound: number;

  before(async () => {
    api = await startTestApp({ MCP_API_KEY: ADMIN_KEY }, dir);
    folder = join(api.config.memoryDir, 'default');
    const started = performance.now();
    const put = await api.request('PUT', '/api/agent/files/reference.md', {
      body: { content: '# Reference\n- a file written through the api\n' },
      headers: admin,
    });
    assert.equal(put.status, 200, put.text);
    bound = SETTLE_MS + 100 * (performance.now() - started);
  });
  after(() => api.close());

  const history = async (path: string) => {
    const response = await api.request('GET', `/api/agent/files/${path}/history`, { headers: admin });
    return response.status === 200 ? (response.body.versions as { actor: string; kind: string }[]) : [];
  };
  const indexed = async (path: string, query: string) => {
    const response = await api.request('POST', '/api/search', {
      body: { query, memory_type: 'memory_file', limit: 10 },
      headers: admin,
    });
    return response.body.results.some(
      (result: { memory: { content: string; metadata: { path: string } } }) =>
        result.memory.metadata.path === path && result.memory.content.includes(query),
    );
  };
  const latestIs = async (path: string, kind: string) => {
    const [latest] = await history(path);
    return latest?.actor === 'hand_edit' && latest.kind === kind;
  };

  it('a file written on disk is journaled as a hand edit and found by search', async () => {
    mkdirSync(join(folder, 'garden'), { recursive: true });
    writeFileSync(join(folder, 'garden', 'tomatoes.md'), '# Tomatoes\n- plant after the last frost\n');
    await waitFor(
      async () => (await latestIs('garden/tomatoes.md', 'created')) && indexed('garden/tomatoes.md', 'last frost'),
      'the new file in the history and in search',
      bound,
    );
  });

  it('an edit and a deletion on disk are journaled too, and search follows them', async () => {
    writeFileSync(join(folder, 'garden', 'tomatoes.md'), '# Tomatoes\n- plant after the ice saints\n');
    await waitFor(
      async () => (await latestIs('garden/tomatoes.md', 'updated')) && indexed('garden/tomatoes.md', 'ice saints'),
      'the edit in the history and in search',
      bound,
    );
    const [edit] = (await api.request('GET', '/api/agent/files/garden/tomatoes.md/history', { headers: admin })).body
      .versions;
    assert.match(edit.diff, /\n-- plant after the last frost\n\+- plant after the ice saints\n/);
    rmSync(join(folder, 'garden', 'tomatoes.md'));
    await waitFor(
      async () => (await latestIs('garden/tomatoes.md', 'deleted')) && !(await indexed('garden/tomatoes.md', 'ice')),
      'the deletion in the history and in search',
      bound,
    );
  });

  it("the service's own writes are not journaled a second time as hand edits", async () => {
    const put = await api.request('PUT', '/api/agent/files/own.md', {
      body: { content: 'written by the api\n' },
      headers: admin,
    });
    assert.equal(put.status, 200, put.text);
    // A later hand edit in the same namespace: once it is journaled, the watcher has compared the whole
    // namespace after the PUT's own change.
    writeFileSync(join(folder, 'later.md'), '# Later\n- a hand edit after the api wrote own.md\n');
    await waitFor(() => latestIs('later.md', 'created'), 'the later hand edit', bound);
    assert.deepEqual(
      (await history('own.md')).map(({ actor }) => actor),
      ['hand_edit'],
      'one entry: the PUT itself',
    );
    assert.deepEqual(
      (await history('reference.md')).map(({ actor }) => actor),
      ['hand_edit'],
    );
  });

  it('edits made while the service was down are journaled at start-up', async () => {
    await api.close({ keepDir: true });
    writeFileSync(join(folder, 'offline.md'), '# Offline\n- edited while engram was stopped\n');
    api = await startTestApp({ MCP_API_KEY: ADMIN_KEY }, dir);
    await waitFor(
      async () => (await latestIs('offline.md', 'created')) && indexed('offline.md', 'while engram was stopped'),
      'the offline edit in the history and in search',
      bound,
    );
  });
});
