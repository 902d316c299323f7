import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiBackends, scriptedAgentApi } from '../testing/api-backends';
import { act, answer } from '../testing/mem-agent.test-double';

const ADMIN_KEY = 'entry-limit-admin-key-0123456789';
const FLOOD = 'Fill the memory with empty files and folders';

const SCENARIOS = [
  {
    question: FLOOD,
    turns: [
      act(
        'Make as many as it takes.',
        [
          'files = 0',
          'while files < 500 and create_file(f"f{files}.md", ""):',
          '    files += 1',
          'folders = 0',
          'while folders < 500 and create_dir(f"flood/d{folders}"):',
          '    folders += 1',
        ].join('\n'),
      ),
      answer('The memory is full.', 'I stopped where the memory refused more.'),
    ],
  },
];

/**
 * ENGRAM_MEMORY_MAX_ENTRIES over real HTTP, once per storage backend, with the real sandbox and a scripted
 * model: code that floods the memory with empty files and folders has every call past the limit refused
 * (the trained `False`), the run saves what fitted, and a write through the REST API past the limit is a 413
 * naming it, while the files already there can still be changed.
 */
for (const backend of apiBackends()) {
  describe(`the memory's entry limit: ${backend.name} (real api, real sandbox; scripted model)`, () => {
    const session = scriptedAgentApi(backend, SCENARIOS, {
      MCP_API_KEY: ADMIN_KEY,
      ENGRAM_AGENT_MAX_TOOL_TURNS: '2',
      ENGRAM_MEMORY_MAX_ENTRIES: '6',
    });
    const admin = { 'X-API-Key': ADMIN_KEY };

    const put = (path: string, content: string) =>
      session.api.request('PUT', `/api/agent/files/${path}`, { body: { content }, headers: admin });

    it('a run flooding the memory gets False past the limit and keeps what fitted; REST writes past it are 413', async () => {
      assert.equal((await put('user.md', '# User\n')).status, 200);
      const run = await session.api.request('POST', '/api/agent/query', { body: { question: FLOOD }, headers: admin });
      assert.equal(run.status, 200, run.text);
      // user.md and five files make the six entries: no folder fits after them.
      const [, second] = session.model.requestsFor(FLOOD);
      assert.match(second.body.messages.at(-1)!.content, /\{'files': 5, 'folders': 0\}/);
      assert.deepEqual(
        run.body.files_changed.map((file: { path: string; change: string }) => [file.path, file.change]),
        ['f0.md', 'f1.md', 'f2.md', 'f3.md', 'f4.md'].map((path) => [path, 'created']),
      );
      const listed = await session.api.request('GET', '/api/agent/files', { headers: admin });
      assert.equal(listed.status, 200, listed.text);
      assert.equal(listed.body.files.length, 6, listed.text);

      const refused = await put('notes/new.md', 'one more');
      assert.equal(refused.status, 413, refused.text);
      assert.match(refused.body.message, /^the memory would hold 8 files and folders; it holds at most 6$/);
      assert.equal((await put('user.md', '# User\n- name: Ana\n')).status, 200, 'a full memory can still be edited');
    });
  });
}
