import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { answerObject, fieldMismatches, memoryObject, tableRoutes } from '../testing/api-doc-table';
import { blockJobs, JobsHarness, waitForJob } from '../testing/job-helpers';
import { act, answer, MemAgentTestDouble, startMemAgentTestDouble } from '../testing/mem-agent.test-double';
import { oauthPost, registerAndConsent, startOAuthTestApp, TEST_REDIRECT } from '../testing/oauth-flow';
import { startTestPostgres, TestPostgres } from '../testing/postgres-test-server';
import { TestApp } from '../testing/test-app';

const ADMIN_KEY = 'bootstrap-key-0123456789abcdef';
const ADMIN = { authorization: `Bearer ${ADMIN_KEY}` };
const HARVEST = 'We are booking the Lisbon offsite';
const QUESTION = 'Remember that Ana prefers window seats';
const CONTRADICTIONS = [
  'The client contract ends on 2027-06-30.',
  'The client contract ends on 2026-12-31.',
  'Marco works at Globex as a designer.',
  'Marco now works at Initech as a product manager.',
];

for (const backend of ['SQLite', 'PostgreSQL'])
  describe(`docs/api.md's answer fields and the api's answers, for every route of its table (${backend})`, () => {
    let api: TestApp;
    let model: MemAgentTestDouble;
    let postgres: TestPostgres | undefined;
    /** One real answer's body per documented route, `METHOD /path` as the table's first column writes it. */
    const answers = new Map<string, unknown>();

    /** Asks the api as the operator for `route` (its method) at `path`, and keeps the answer. */
    const call = async (route: string, path: string, body?: unknown) => {
      const method = route.split(' ')[0];
      const response = await api.request(method, path, { body, headers: ADMIN });
      assert.ok(response.status < 300, `${route} (${method} ${path}): ${response.status} ${response.text}`);
      answers.set(route, response.body);
      return response.body;
    };
    const upload = async (content: string) => {
      const form = new FormData();
      form.append('file', new Blob([content]), 'note.md');
      const response = await fetch(`${api.url}/api/import`, { method: 'POST', body: form, headers: ADMIN });
      const body = (await response.json()) as { job_id: string };
      assert.equal(response.status, 202, JSON.stringify(body));
      answers.set('POST /api/import', body);
      return body;
    };
    const finished = (id: string) => waitForJob((method, path) => api.request(method, path, { headers: ADMIN }), id);

    before(async () => {
      model = await startMemAgentTestDouble([
        { question: HARVEST, turns: ['</think>\n[{"content": "The offsite is in Lisbon", "memory_type": "fact"}]'] },
        {
          question: QUESTION,
          turns: [
            act('Write it down.', 'done = create_file("ana.md", "# Ana\\n- prefers window seats\\n")'),
            answer('Saved.', 'Noted: Ana prefers window seats.'),
          ],
        },
      ]);
      postgres = backend === 'PostgreSQL' ? await startTestPostgres() : undefined;
      api = await startOAuthTestApp(ADMIN_KEY, {
        ...(postgres && { MCP_MEMORY_STORAGE_BACKEND: 'postgres', DATABASE_URL: postgres.url }),
        ENGRAM_AGENT_BASE_URL: model.url,
        ENGRAM_AGENT_KEEP_TRANSCRIPTS: 'true',
        ENGRAM_OAUTH_OPEN_REGISTRATION: 'true',
      });
      // Each step fills the store through the api itself, calling the routes of its part of the table.
      await storeAndSearch();
      await trashSessionsAndHarvest();
      await agentFiles();
      // A PostgreSQL restore leaves conflict proposals behind (docs/deployment.md): jobs come before reviews.
      await jobs();
      await reviews();
      await credentials();
      await everyGetWithoutParameters();
    });
    after(async () => {
      await api?.close();
      await model?.close();
      await postgres?.close();
    });

    async function storeAndSearch() {
      const stored = await call('POST /api/memories', '/api/memories', {
        content: 'We chose PostgreSQL for billing',
        tags: ['decision'],
        memory_type: 'decision',
      });
      const batch = await call('POST /api/memories/batch', '/api/memories/batch', {
        memories: [{ content: 'Ana prefers window seats', tags: ['travel'] }, { content: stored.memory.content }],
      });
      const seats = `/api/memories/${batch.results[0].content_hash}`;
      const updated = await call('PUT /api/memories/:hash', seats, { tags: ['travel', 'people'] });
      const newer = await call('POST /api/memories/:hash/supersede', `/api/memories/${stored.content_hash}/supersede`, {
        content: 'We moved billing to MySQL',
      });
      await call('GET /api/memories/:hash', `/api/memories/${newer.content_hash}`);
      await call('GET /api/memories/:hash/history', `/api/memories/${newer.content_hash}/history`);
      await call('POST /api/quality/:hash/rate', `/api/quality/${updated.content_hash}/rate`, { rating: 1 });
      await call('GET /api/quality/:hash', `/api/quality/${updated.content_hash}`);
      await call('POST /api/search', '/api/search', { query: 'billing', include_superseded: true });
      await call('POST /api/memories/search', '/api/memories/search', { query: 'window seats', quality_boost: true });
      await call('POST /api/search/by-tag', '/api/search/by-tag', { tags: ['travel'] });
      await call('POST /api/search/by-time', '/api/search/by-time', { query: 'today' });
    }

    async function trashSessionsAndHarvest() {
      // Three turns in windows of two: two chunks.
      const session = await call('POST /api/sessions', '/api/sessions', {
        turns: [
          { role: 'user', content: 'Where is the offsite?' },
          { role: 'assistant', content: 'In Lisbon, on 12 May.' },
          { role: 'user', content: 'Book the train then.' },
        ],
        window: 2,
      });
      const path = `/api/memories/${session.content_hash}`;
      await call('DELETE /api/memories/:hash', path);
      await call('GET /api/memories/trash/:hash', `/api/memories/trash/${session.content_hash}`);
      await call('POST /api/memories/:hash/restore', `${path}/restore`);
      await call('DELETE /api/memories/:hash', path);
      await call('DELETE /api/memories/trash/:hash', `/api/memories/trash/${session.content_hash}`);
      // One left in the trash for its list.
      const dropped = await call('POST /api/memories', '/api/memories', { content: 'A note for the trash' });
      await call('DELETE /api/memories/:hash', `/api/memories/${dropped.content_hash}`);
      await call('POST /api/harvest', '/api/harvest', { transcript: `[user] ${HARVEST}.`, store: true });
    }

    async function agentFiles() {
      await call('POST /api/agent/query', '/api/agent/query', { question: QUESTION });
      await call('PUT /api/agent/files/<path>', '/api/agent/files/ana.md', {
        content: '# Ana\n- prefers aisle seats\n- works at [[entities/acme.md]]\n',
      });
      await call('GET /api/agent/files/<path>', '/api/agent/files/ana.md');
      await call('GET /api/agent/files/<path>/history', '/api/agent/files/ana.md/history');
      await call('GET /api/agent/files/<path>/history/<version>', '/api/agent/files/ana.md/history/1');
      await call('POST /api/agent/files/<path>/revert', '/api/agent/files/ana.md/revert', { version: 1 });
      await call('PUT /api/agent/files/.filters', '/api/agent/files/.filters', { content: '- never store ages\n' });
    }

    async function reviews() {
      for (const content of CONTRADICTIONS) await call('POST /api/memories', '/api/memories', { content });
      await finished((await call('POST /api/conflicts/scan', '/api/conflicts/scan')).job_id);
      // One proposal resolved, the other left open for the list.
      const [conflict] = (await api.request('GET', '/api/conflicts', { headers: ADMIN })).body.conflicts;
      await call('POST /api/conflicts/resolve', '/api/conflicts/resolve', {
        conflict_id: conflict.id,
        action: 'supersede',
        keep: conflict.newer.content_hash,
      });
      // Nearly the same text: a merge for consolidation to propose.
      await call('POST /api/memories', '/api/memories', { content: 'Ana prefers the window seats' });
      // The same text but for whitespace (another content hash): a group for cleanup to find.
      await call('POST /api/memories', '/api/memories', { content: 'Ana prefers  the window seats' });
      const cleanup = await call('POST /api/consolidation/cleanup', '/api/consolidation/cleanup', { dry_run: true });
      assert.equal(cleanup.groups.length, 1, 'a group whose fields the table is checked against');
      const run = await call('POST /api/consolidation/trigger', '/api/consolidation/trigger', { dry_run: true });
      const { proposal_set_id } = (await finished(run.job_id)).result;
      await call('POST /api/consolidation/apply', '/api/consolidation/apply', { proposal_set_id });
    }

    async function jobs() {
      const backup = await call('POST /api/admin/backup', '/api/admin/backup');
      const taken = await finished(backup.job_id);
      await call('GET /api/jobs/:id', `/api/jobs/${backup.job_id}`);
      // Restoring the backup just taken leaves the store as it was.
      const { backup_id } = await call('POST /api/backup/now', '/api/backup/now');
      await finished((await call('POST /api/admin/restore', '/api/admin/restore', { backup_id })).job_id);
      await call('DELETE /api/admin/backups/:name', `/api/admin/backups/${taken.result.backup_id}`);
      const imported = await upload('# Trip\n\nThe offsite is in Lisbon.');
      await finished(imported.job_id);
      await call('GET /api/import/:id', `/api/import/${imported.job_id}`);
      // Jobs queued behind a held reindex wait, so they can be cancelled.
      const unblock = await blockJobs({ api } as JobsHarness);
      try {
        await call('POST /api/admin/reindex', '/api/admin/reindex');
        await call(
          'DELETE /api/jobs/:id',
          `/api/jobs/${(await call('POST /api/admin/backup', '/api/admin/backup')).job_id}`,
        );
        await call('DELETE /api/import/:id', `/api/import/${(await upload('# Later\n\nThis one waits.')).job_id}`);
      } finally {
        await unblock();
      }
    }

    async function credentials() {
      const key = await call('POST /api/admin/keys', '/api/admin/keys', { name: 'reader', scopes: ['read'] });
      await call('DELETE /api/admin/keys/:id', `/api/admin/keys/${key.id}`);
      await call('POST /oauth/register', '/oauth/register', { client_name: 'docs', redirect_uris: [TEST_REDIRECT] });
      const { clientId, verifier, code } = await registerAndConsent(api.url, ADMIN_KEY);
      const token = await oauthPost(`${api.url}/oauth/token`, {
        grant_type: 'authorization_code',
        client_id: clientId,
        code: code!,
        redirect_uri: TEST_REDIRECT,
        code_verifier: verifier,
      });
      assert.equal(token.status, 200, JSON.stringify(token.body));
      answers.set('POST /oauth/token', token.body);
      const revoked = await oauthPost(`${api.url}/oauth/revoke`, {
        client_id: clientId,
        token: token.body.refresh_token,
      });
      assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
      answers.set('POST /oauth/revoke', revoked.body);
      await call('DELETE /api/admin/oauth/clients/:id', `/api/admin/oauth/clients/${encodeURIComponent(clientId)}`);
    }

    /** Last, so that their lists hold something of each kind. */
    async function everyGetWithoutParameters() {
      for (const { method, path, answer: told } of tableRoutes())
        if (method === 'GET' && !/[:<*]/.test(path) && answerObject(told)) await call(`GET ${path}`, path);
    }

    it('lists every field of each JSON answer, in every object it spells out, and no other', () => {
      const memory = memoryObject();
      const table = tableRoutes();
      const wrong: string[] = [];
      const unasked: string[] = [];
      for (const { method, path, answer: told } of table) {
        const documented = answerObject(told, memory, table);
        if (!documented) continue;
        const route = `${method} ${path}`;
        if (!answers.has(route)) unasked.push(route);
        else wrong.push(...fieldMismatches(documented, answers.get(route)).map((problem) => `${route} ${problem}`));
      }
      assert.ok(answers.size >= 60, `${answers.size} answers checked`);
      assert.deepEqual(unasked, [], 'documented answers this spec does not ask for');
      assert.deepEqual(wrong, []);
    });
  });
