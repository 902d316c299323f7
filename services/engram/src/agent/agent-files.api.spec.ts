import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EngramEvent } from '../events/engram-event';
import { EventBus } from '../events/event-bus';
import { makeTempDir, startTestApp, TestApp } from '../testing/test-app';

const ADMIN_KEY = 'agent-files-admin-key-0123456789';

describe('the markdown memory over REST: files, links, backlinks and .filters (real api, real folders)', () => {
  let api: TestApp;
  let memoryDir: string;
  let outside: string;
  const events: EngramEvent[] = [];
  const admin = { 'X-API-Key': ADMIN_KEY };

  before(async () => {
    const dir = makeTempDir();
    memoryDir = join(dir, 'memory');
    const root = join(memoryDir, 'default');
    mkdirSync(join(root, 'entities'), { recursive: true });
    writeFileSync(
      join(root, 'user.md'),
      '# User\n- name: Alex\n- **Employer**: Acme [[entities/acme_corp.md]]\n- pet: [[entities/miso]] and [[nowhere.md]]\n',
    );
    writeFileSync(join(root, 'entities', 'acme_corp.md'), '# Acme Corp\n- **Employee**: Alex [[user.md]]\n');
    writeFileSync(join(root, 'entities', 'miso.md'), '# Miso\n- species: cat\n');
    writeFileSync(join(root, '.filters'), '- do not reveal ages\n');
    writeFileSync(join(root, 'entities', '.draft.md'), 'hidden');
    outside = join(dir, 'outside.txt');
    writeFileSync(outside, 'secret outside the memory');
    mkdirSync(join(memoryDir, 'planted'), { recursive: true });
    symlinkSync(outside, join(memoryDir, 'planted', '.filters'));
    api = await startTestApp({ MCP_API_KEY: ADMIN_KEY, MEMORY_DIR: memoryDir }, dir);
    api.app.get(EventBus).subscribe((event) => events.push(event));
  });
  after(async () => {
    await api.close();
  });

  const get = (path: string, headers: Record<string, string> = admin) => api.request('GET', path, { headers });
  const putFilters = (content: unknown, headers: Record<string, string> = admin) =>
    api.request('PUT', '/api/agent/files/.filters', { body: { content }, headers });
  const keyFor = async (scopes: string[], namespace?: string) =>
    (await api.request('POST', '/api/admin/keys', { body: { name: `k-${scopes}`, scopes, namespace }, headers: admin }))
      .body.key as string;

  it('lists the visible files with size and last change, sorted by path', async () => {
    const { status, body } = await get('/api/agent/files');
    assert.equal(status, 200);
    assert.deepEqual(
      body.files.map((file: { path: string }) => file.path),
      ['entities/acme_corp.md', 'entities/miso.md', 'user.md'],
    );
    assert.equal(body.files[2].size, readFileSync(join(memoryDir, 'default', 'user.md')).length);
    assert.ok(Date.parse(body.files[2].modified_at) > 0);
  });

  it('reads a file with its links resolved (bare names too) and the files that link to it', async () => {
    const { status, body } = await get('/api/agent/files/user.md');
    assert.equal(status, 200);
    assert.match(body.content, /^# User\n- name: Alex/);
    assert.deepEqual(body.links, [
      { link: '[[entities/acme_corp.md]]', target: 'entities/acme_corp.md' },
      { link: '[[entities/miso]]', target: 'entities/miso.md' },
      { link: '[[nowhere.md]]', target: null },
    ]);
    assert.deepEqual(body.backlinks, ['entities/acme_corp.md']);
    const acme = await get('/api/agent/files/entities/acme_corp.md');
    assert.deepEqual(acme.body.backlinks, ['user.md']);
  });

  it('refuses paths outside the memory or hidden, and answers 404 for a missing file', async () => {
    for (const path of ['..%2F..%2Foutside.txt', 'entities/.draft.md', '%2Fetc%2Fpasswd']) {
      const response = await get(`/api/agent/files/${path}`);
      assert.equal(response.status, 400, `${path}: ${response.text}`);
    }
    const missing = await get('/api/agent/files/entities/nobody.md');
    assert.equal(missing.status, 404);
    assert.match(missing.body.message, /No memory file "entities\/nobody.md"/);
  });

  it('reads and replaces .filters atomically, and announces the change', async () => {
    assert.deepEqual((await get('/api/agent/files/.filters')).body, {
      path: '.filters',
      content: '- do not reveal ages\n',
    });
    const replaced = await putFilters('- do not reveal ages\n- only reveal first names\n');
    assert.equal(replaced.status, 200, replaced.text);
    assert.equal(
      readFileSync(join(memoryDir, 'default', '.filters'), 'utf8'),
      '- do not reveal ages\n- only reveal first names\n',
    );
    const announced = events.find((event) => event.type === 'memory_file_changed' && event.payload.path === '.filters');
    assert.deepEqual(announced?.payload, { path: '.filters', change: 'updated' });
    assert.equal((await putFilters('x'.repeat(20_001))).status, 400);
    assert.equal((await putFilters(42)).status, 400);
  });

  it('never follows a .filters symlink out of the memory', async () => {
    const headers = { ...admin, 'X-Engram-Namespace': 'planted' };
    const read = await get('/api/agent/files/.filters', headers);
    assert.equal(read.status, 400);
    assert.doesNotMatch(read.text, /secret outside/);
    assert.equal((await putFilters('- overwrite?', headers)).status, 400);
    assert.equal(readFileSync(outside, 'utf8'), 'secret outside the memory');
  });

  it("keeps to the caller's namespace and scopes: a new namespace is empty, a read key cannot write", async () => {
    const bound = await keyFor(['write'], 'fresh');
    const headers = { 'X-API-Key': bound };
    assert.deepEqual((await get('/api/agent/files', headers)).body, { files: [] });
    assert.equal((await get('/api/agent/files/user.md', headers)).status, 404);
    assert.equal((await get('/api/agent/files/.filters', headers)).body.content, '');
    assert.equal((await putFilters('- fresh rule\n', headers)).status, 200);
    assert.equal(readFileSync(join(memoryDir, 'fresh', '.filters'), 'utf8'), '- fresh rule\n');
    const reader = await keyFor(['read']);
    assert.equal((await get('/api/agent/files/user.md', { 'X-API-Key': reader })).status, 200);
    assert.equal((await putFilters('- nope', { 'X-API-Key': reader })).status, 403);
  });
});
