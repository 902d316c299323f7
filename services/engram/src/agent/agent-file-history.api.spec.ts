import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryGraphJsonl } from '../testing/import-fixtures';
import { apiBackends, scriptedAgentApi } from '../testing/api-backends';
import { act, answer } from '../testing/mem-agent.test-double';
import { waitFor } from '../testing/wait-for';

const ADMIN_KEY = 'file-history-admin-key-0123456789';
const FIRST = '# User\n- name: Alex\n- city: Lisbon\n- hobby: marzipan sculpting\n';
const SECOND = '# User\n- name: Alex\n- city: Lisbon\n- hobby: origami cranes\n';
const OLD_NOTE = '# Old note\n- parked: the blue bicycle\n';

const SCENARIOS = [
  {
    question: 'I moved to Porto; drop the old note.',
    turns: [
      act('Update the city.', 'moved = update_file("user.md", "- city: Lisbon", "- city: Porto")'),
      act(
        'Record Porto and drop the old note.',
        'created = create_file("entities/porto.md", "# Porto\\n- **Resident**: Alex [[user.md]]\\n")\ngone = delete_file("notes/old.md")',
      ),
      answer('Done.', 'Noted: Porto.'),
    ],
  },
];

interface Version {
  version: number;
  actor: string;
  kind: string;
  size: number;
  diff: string | null;
}

/**
 * The history of the markdown memory over real HTTP, once per storage backend: every change (agent run,
 * import, hand edit through the API, revert) is journaled with its actor and diff, reverts bring back
 * content (a deleted file too) and search follows at once, and a namespace sees only its own history.
 */
for (const backend of apiBackends()) {
  describe(`memory file history over REST: ${backend.name} (real api, real sandbox; scripted model)`, () => {
    const session = scriptedAgentApi(backend, SCENARIOS, {
      MCP_API_KEY: ADMIN_KEY,
      ENGRAM_AGENT_MAX_TOOL_TURNS: '4',
    });
    const admin = { 'X-API-Key': ADMIN_KEY };

    const get = (path: string, headers = admin) => session.api.request('GET', path, { headers });
    const put = (path: string, body: unknown, headers = admin) =>
      session.api.request('PUT', `/api/agent/files/${path}`, { body, headers });
    const revert = (path: string, body: unknown, headers = admin) =>
      session.api.request('POST', `/api/agent/files/${path}/revert`, { body, headers });
    const versions = async (path: string): Promise<Version[]> => {
      const response = await get(`/api/agent/files/${path}/history?limit=100`);
      assert.equal(response.status, 200, response.text);
      return response.body.versions;
    };
    const searchHits = async (query: string): Promise<{ path: string; content: string }[]> => {
      const response = await session.api.request('POST', '/api/search', {
        body: { query, memory_type: 'memory_file', limit: 10 },
        headers: admin,
      });
      assert.equal(response.status, 200, response.text);
      return response.body.results.map((result: { memory: { content: string; metadata: { path: string } } }) => ({
        path: result.memory.metadata.path,
        content: result.memory.content,
      }));
    };
    const indexedText = async (path: string) =>
      (await searchHits(path)).find((hit) => hit.path === path)?.content ?? '';

    it('a hand edit through PUT is journaled as hand_edit with its diff, and search has it at once', async () => {
      assert.deepEqual((await put('user.md', { content: FIRST })).body, { path: 'user.md', change: 'created' });
      assert.deepEqual((await put('user.md', { content: SECOND })).body, { path: 'user.md', change: 'updated' });
      assert.deepEqual((await put('user.md', { content: SECOND })).body, { path: 'user.md', change: 'unchanged' });
      assert.equal((await put('notes/old.md', { content: OLD_NOTE })).status, 200);

      const history = await versions('user.md');
      assert.deepEqual(
        history.map(({ actor, kind, size }) => ({ actor, kind, size })),
        [
          { actor: 'hand_edit', kind: 'updated', size: Buffer.byteLength(SECOND) },
          { actor: 'hand_edit', kind: 'created', size: Buffer.byteLength(FIRST) },
        ],
      );
      assert.match(history[0].diff!, /\n-- hobby: marzipan sculpting\n\+- hobby: origami cranes\n/);
      assert.equal((await get('/api/agent/files/user.md')).body.content, SECOND);
      assert.match(await indexedText('user.md'), /origami cranes/);
    });

    it('an agent run is journaled as agent: each changed file with its diff, a deletion included', async () => {
      const run = await session.api.request('POST', '/api/agent/query', {
        body: { question: 'I moved to Porto; drop the old note.' },
        headers: admin,
      });
      assert.equal(run.status, 200, run.text);
      const [latest] = await versions('user.md');
      assert.deepEqual([latest.actor, latest.kind], ['agent', 'updated']);
      assert.match(latest.diff!, /\n-- city: Lisbon\n\+- city: Porto\n/);
      assert.deepEqual(
        (await versions('entities/porto.md')).map(({ actor, kind }) => [actor, kind]),
        [['agent', 'created']],
      );
      assert.deepEqual(
        (await versions('notes/old.md')).map(({ actor, kind }) => [actor, kind]),
        [
          ['agent', 'deleted'],
          ['hand_edit', 'created'],
        ],
      );
      assert.equal((await get('/api/agent/files/notes/old.md')).status, 404);
    });

    it('a revert brings back an earlier version, is journaled as revert, and search follows', async () => {
      const first = (await versions('user.md')).at(-1)!;
      const reverted = await revert('user.md', { version: first.version });
      assert.equal(reverted.status, 200, reverted.text);
      assert.deepEqual(reverted.body, { path: 'user.md', change: 'updated' });
      assert.equal((await get('/api/agent/files/user.md')).body.content, FIRST);
      const [latest] = await versions('user.md');
      assert.deepEqual([latest.actor, latest.kind], ['revert', 'updated']);
      assert.match(latest.diff!, /\n-- city: Porto\n-- hobby: origami cranes\n\+- city: Lisbon\n\+- hobby: marzipan/);
      const indexed = await indexedText('user.md');
      assert.match(indexed, /marzipan sculpting/);
      assert.doesNotMatch(indexed, /origami|Porto/);
      assert.deepEqual((await revert('user.md', { version: first.version })).body, {
        path: 'user.md',
        change: 'unchanged',
      });
    });

    it('a deleted file comes back by reverting to a version before its deletion', async () => {
      const [deletion, created] = await versions('notes/old.md');
      assert.equal(deletion.kind, 'deleted');
      const restored = await revert('notes/old.md', { version: created.version });
      assert.deepEqual(restored.body, { path: 'notes/old.md', change: 'created' });
      assert.equal((await get('/api/agent/files/notes/old.md')).body.content, OLD_NOTE);
      assert.deepEqual((await versions('notes/old.md'))[0].actor, 'revert');
      assert.match(await indexedText('notes/old.md'), /blue bicycle/);
      // Reverting to the deletion deletes it again.
      assert.deepEqual((await revert('notes/old.md', { version: deletion.version })).body, {
        path: 'notes/old.md',
        change: 'deleted',
      });
      assert.equal((await get('/api/agent/files/notes/old.md')).status, 404);
    });

    it('an import into the memory is journaled as import', async () => {
      const form = new FormData();
      form.append('target', 'memory-dir');
      form.append('file', new Blob([memoryGraphJsonl()]), 'memory.jsonl');
      const queued = await fetch(`${session.api.url}/api/import`, { method: 'POST', body: form, headers: admin });
      const { job_id: jobId } = (await queued.json()) as { job_id: string };
      assert.equal(queued.status, 202, jobId);
      let job: { state: string; error?: string } = { state: 'queued' };
      await waitFor(async () => {
        job = (await get(`/api/import/${jobId}`)).body;
        return ['completed', 'failed', 'cancelled'].includes(job.state);
      }, 'the import to finish');
      assert.equal(job.state, 'completed', job.error);
      assert.deepEqual(
        (await versions('entities/jane_doe.md')).map(({ actor, kind }) => [actor, kind]),
        [['import', 'created']],
      );
      const [userUpdate] = await versions('user.md');
      assert.deepEqual([userUpdate.actor, userUpdate.kind], ['import', 'updated']);
      assert.match(userUpdate.diff!, /\n\+## Imported sources\n/);
    });

    it("pages the history with a cursor, and reads one version's content", async () => {
      const all = await versions('user.md');
      const first = await get('/api/agent/files/user.md/history?limit=2');
      assert.deepEqual(
        first.body.versions.map((version: Version) => version.version),
        all.slice(0, 2).map((version) => version.version),
      );
      const second = await get(`/api/agent/files/user.md/history?limit=2&cursor=${first.body.next_cursor}`);
      assert.deepEqual(
        second.body.versions.map((version: Version) => version.version),
        all.slice(2, 4).map((version) => version.version),
      );
      const oldest = await get(`/api/agent/files/user.md/history/${all.at(-1)!.version}`);
      assert.equal(oldest.status, 200, oldest.text);
      assert.deepEqual(
        { ...oldest.body, at: undefined },
        { ...all.at(-1), path: 'user.md', content: FIRST, at: undefined },
      );
    });

    it("keeps to the caller's namespace: another namespace's key finds no history, version or revert", async () => {
      const created = await session.api.request('POST', '/api/admin/keys', {
        body: { name: 'other', scopes: ['write'], namespace: 'other' },
        headers: admin,
      });
      const other = { 'X-API-Key': created.body.key as string };
      const [latest] = await versions('user.md');
      const before = (await get('/api/agent/files/user.md')).body.content;
      assert.equal((await get('/api/agent/files/user.md/history', other)).status, 404);
      assert.equal((await get(`/api/agent/files/user.md/history/${latest.version}`, other)).status, 404);
      assert.equal((await revert('user.md', { version: latest.version }, other)).status, 404);
      assert.equal((await put('user.md', { content: 'theirs\n' }, other)).status, 200);
      assert.deepEqual(
        (await get('/api/agent/files/user.md/history', other)).body.versions.map((v: Version) => v.actor),
        ['hand_edit'],
      );
      assert.equal((await get('/api/agent/files/user.md')).body.content, before, 'the default namespace is untouched');
      assert.equal((await versions('user.md'))[0].version, latest.version);
    });

    it('refuses bad input with 4xx naming the problem, and writes need the write scope', async () => {
      const expect = async (
        response: Promise<{ status: number; body: { message: string } }>,
        status: number,
        message: RegExp,
      ) => {
        const { status: got, body } = await response;
        assert.equal(got, status, JSON.stringify(body));
        assert.match(body.message, message);
      };
      await expect(get('/api/agent/files/..%2Fescape.md/history'), 400, /outside the memory/);
      await expect(get('/api/agent/files/user.md/history/abc'), 400, /a version is a positive whole number/);
      await expect(get('/api/agent/files/user.md/history?limit=0'), 400, /limit/);
      await expect(get('/api/agent/files/nobody.md/history'), 404, /No memory file "nobody.md"/);
      await expect(get('/api/agent/files/user.md/history/999999'), 404, /No version 999999 of memory file "user.md"/);
      await expect(revert('user.md', { version: 'one' }), 400, /version/);
      await expect(revert('user.md', { version: 1, extra: true }), 400, /unknown field\(s\) extra/);
      await expect(revert('user.md', { version: 999999 }), 404, /No version 999999/);
      await expect(
        session.api.request('POST', '/api/agent/files/user.md', { body: { version: 1 }, headers: admin }),
        400,
        /revert/,
      );
      await expect(put('user.md', { text: 'x' }), 400, /content/);
      await expect(put('.hidden.md', { content: 'x' }), 400, /hidden/);
      for (const unreadable of ['notes/b.md/history', 'notes/b.md/history/2', 'notes/b.md/revert']) {
        await expect(put(unreadable, { content: 'x' }), 400, /names a history or a revert/);
      }
      await expect(put('two%0Alines.md', { content: 'x' }), 400, /control character/);
      await expect(put('big.md', { content: 'x'.repeat(1024 * 1024 + 1) }), 413, /bytes/);
      const reader = await session.api.request('POST', '/api/admin/keys', {
        body: { name: 'reader', scopes: ['read'] },
        headers: admin,
      });
      const readOnly = { 'X-API-Key': reader.body.key as string };
      assert.equal((await get('/api/agent/files/user.md/history', readOnly)).status, 200);
      assert.equal((await put('user.md', { content: 'no' }, readOnly)).status, 403);
      assert.equal((await revert('user.md', { version: 1 }, readOnly)).status, 403);
    });
  });
}
