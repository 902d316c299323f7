import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuditService } from '../audit/audit.service';
import { runInContext } from '../auth/request-context';
import { EventBus } from '../events/event-bus';
import { MemoryService } from '../memories/memory.service';
import { SandboxService } from '../sandbox/sandbox.service';
import { FileActor } from '../storage/agent-file-journal';
import { AgentFileWorkspace } from '../storage/agent-file.store';
import { StoreLocks } from '../storage/locks/store-locks';
import { PostgresAgentFileStore } from '../storage/postgres/postgres-agent-file.store';
import { openPostgresDatabase } from '../storage/postgres/postgres.connection';
import { PostgresDatabase } from '../storage/postgres/postgres.database';
import { act, answer, MemAgentTestDouble, startMemAgentTestDouble } from '../testing/mem-agent.test-double';
import { startTestPostgres, TestPostgres } from '../testing/postgres-test-server';
import { startTestApp, TestApp } from '../testing/test-app';
import { waitFor } from '../testing/wait-for';
import { AgentFilesService } from './agent-files.service';
import { AgentIncomplete } from './agent.errors';
import { AgentQuery, AgentService } from './agent.service';
import { MemoryFileIndexer } from './memory-file.indexer';

const USER_MD = '# User Information\n- name: Alex Rivera\n- city: Lisbon\n';
const OLD_MD = '# Old Job\n- employer: Initech\n';
const KEEP_MD = '# Acme Corp\n- industry: logistics\n';

const SCENARIOS = [
  {
    question: 'I moved to Porto; forget my old job.',
    turns: [
      act('Read user.md and check the filter file is there for me.', 'user_md = read_file("user.md")'),
      act('Update the city.', 'moved = update_file("user.md", "- city: Lisbon", "- city: Porto")'),
      act(
        'Record Porto and drop the old job.',
        'created = create_file("entities/porto.md", "# Porto\\n- **Resident**: Alex Rivera [[user.md]]\\n")\ngone = delete_file("entities/old_job.md")',
      ),
      answer('Done.', 'Noted: you live in Porto now.'),
    ],
  },
  {
    question: 'Keep a note and then think forever',
    turns: [
      act('Write a note first.', 'noted = create_file("notes/started.md", "# Started\\n")'),
      act('Keep listing.', 'tree = list_files()'),
    ],
  },
  {
    question: 'Keep these raw bytes',
    turns: [
      act(
        'Write what the tool gave me, NUL and all.',
        'raw = create_file("notes/raw.md", "# Raw\\nbefore\\x00after\\n")',
      ),
      act('Now change a word after the NUL.', 'changed = update_file("notes/raw.md", "after", "later")'),
      answer('Done.', 'Kept the raw bytes.'),
    ],
  },
];

/**
 * The memory agent with its markdown memory in PostgreSQL (PGlite over the wire), through the real
 * sandbox: each run sees the files in a private folder, and what it changed is written back to the
 * database. The api around it is the real one (its search index, events, audit, locks); only the model
 * is a scripted test double.
 */
describe('memory agent with the markdown memory in PostgreSQL (real sandbox; the model is a scripted test double)', () => {
  let server: TestPostgres;
  let db: PostgresDatabase;
  let store: PostgresAgentFileStore;
  let model: MemAgentTestDouble;
  let api: TestApp;
  let agent: AgentService;
  const workspaces: string[] = [];

  before(async () => {
    server = await startTestPostgres();
    db = await openPostgresDatabase(
      { url: server.url, poolSize: 4, statementTimeoutMs: 30_000 },
      { modelId: 'agent-files', dimension: 8 },
    );
    store = new (class extends PostgresAgentFileStore {
      override async openWorkspace(namespace: string, actor: FileActor): Promise<AgentFileWorkspace> {
        const workspace = await super.openWorkspace(namespace, actor);
        workspaces.push(workspace.root);
        return workspace;
      }
    })(db);
    await store.write('default', 'user.md', USER_MD, 'hand_edit');
    await store.write('default', 'entities/old_job.md', OLD_MD, 'hand_edit');
    await store.write('default', 'entities/acme_corp.md', KEEP_MD, 'hand_edit');
    await store.writeRootFile('default', '.filters', '- do not reveal ages\n');
    model = await startMemAgentTestDouble(SCENARIOS);
    api = await startTestApp({ ENGRAM_AGENT_BASE_URL: model.url, ENGRAM_AGENT_MAX_TOOL_TURNS: '4' });
    const indexer = new MemoryFileIndexer(api.app.get(MemoryService), api.config, store);
    agent = new AgentService(
      api.config,
      api.app.get(SandboxService),
      indexer,
      api.app.get(EventBus),
      api.app.get(AuditService),
      api.app.get(StoreLocks),
      store,
    );
  });
  after(async () => {
    await api.close();
    await model.close();
    await db.close();
    await server.close();
  });

  const ask = (query: AgentQuery) =>
    runInContext(
      { principal: { kind: 'local', id: 'test', scopes: ['admin'] }, namespace: 'default', clientAddress: 'local' },
      () => agent.query(query),
    );

  it('a run reads and changes the database copy through the sandbox; what it changed is written back, the rest left alone', async () => {
    const keptBefore = (await store.list('default')).find((file) => file.path === 'entities/acme_corp.md')!;
    const reply = await ask({ question: 'I moved to Porto; forget my old job.' });

    assert.equal(reply.reply, 'Noted: you live in Porto now.');
    assert.deepEqual(
      reply.files_changed.map(({ path, change }) => ({ path, change })),
      [
        { path: 'user.md', change: 'updated' },
        { path: 'entities/porto.md', change: 'created' },
        { path: 'entities/old_job.md', change: 'deleted' },
      ],
    );
    const firstCall = model.requestsFor('I moved to Porto')[0].body;
    assert.match(
      firstCall.messages[1].content,
      /<filter>\n- do not reveal ages\n<\/filter>$/,
      '.filters read from the copy',
    );
    const secondCall = model.requestsFor('I moved to Porto')[1].body;
    assert.match(secondCall.messages[3].content, /- city: Lisbon/, 'the sandbox read the database copy');

    assert.equal(await store.read('default', 'user.md'), USER_MD.replace('Lisbon', 'Porto'));
    assert.match(await store.read('default', 'entities/porto.md'), /\[\[user.md\]\]/);
    assert.deepEqual(
      (await store.list('default')).map((file) => file.path),
      ['entities/acme_corp.md', 'entities/porto.md', 'user.md'],
    );
    const keptAfter = (await store.list('default')).find((file) => file.path === 'entities/acme_corp.md')!;
    assert.equal(keptAfter.modifiedMs, keptBefore.modifiedMs, 'an unchanged file is not rewritten');
    assert.equal(workspaces.length, 1);
    assert.ok(!existsSync(workspaces[0]), 'the private copy is removed after the run');
    assert.ok(!existsSync(join(api.config.memoryDir, 'default')), 'nothing of the memory lands in MEMORY_DIR');

    // The search index mirrors what the database now holds.
    const search = await api.request('POST', '/api/search', {
      body: { query: 'Porto resident', memory_type: 'memory_file', limit: 5 },
    });
    assert.equal(search.status, 200, search.text);
    const paths = search.body.results.map(
      (result: { memory: { metadata: { path: string } } }) => result.memory.metadata.path,
    );
    assert.ok(paths.includes('entities/porto.md'), JSON.stringify(paths));
  });

  it('a run that stops without a reply still keeps what it wrote, and its copy is removed', async () => {
    await assert.rejects(() => ask({ question: 'Keep a note and then think forever' }), AgentIncomplete);
    assert.equal(await store.read('default', 'notes/started.md'), '# Started\n');
    assert.equal(workspaces.length, 2);
    assert.ok(!existsSync(workspaces[1]));
  });

  it('the files for people (REST service) read the database: links, backlinks, .filters replaced', async () => {
    const people = new AgentFilesService(store, api.app.get(EventBus), api.app.get(StoreLocks));
    const inDefault = <T>(work: () => Promise<T>) =>
      runInContext(
        { principal: { kind: 'local', id: 'test', scopes: ['admin'] }, namespace: 'default', clientAddress: 'local' },
        work,
      );
    const listed = await inDefault(() => people.list());
    assert.deepEqual(
      listed.map((file) => file.path),
      ['entities/acme_corp.md', 'entities/porto.md', 'notes/started.md', 'user.md'],
    );
    const porto = await inDefault(() => people.read('entities/porto.md'));
    assert.deepEqual(porto.links, [{ link: '[[user.md]]', target: 'user.md' }]);
    assert.deepEqual((await inDefault(() => people.read('user.md'))).backlinks, ['entities/porto.md']);
    await assert.rejects(() => inDefault(() => people.read('../etc/passwd')), { status: 400 });
    await assert.rejects(() => inDefault(() => people.read('entities/nobody.md')), { status: 404 });
    await inDefault(() => people.writeFilters('- do not reveal ages\n- no emails\n'));
    assert.equal(await store.readRootFile('default', '.filters'), '- do not reveal ages\n- no emails\n');
    assert.equal(await inDefault(() => people.readFilters()), '- do not reveal ages\n- no emails\n');
  });

  it('start-up indexing reads the files from the database: files written outside runs are mirrored, vanished ones dropped', async () => {
    const indexedPaths = async () => {
      const listed = await api.request('GET', '/api/memories?memory_type=memory_file&page_size=100');
      return listed.body.memories.map((memory: { metadata: { path: string } }) => memory.metadata.path).sort();
    };
    assert.ok((await indexedPaths()).includes('notes/started.md'));
    await store.write('default', 'entities/zebra.md', '# Zebra\n- migrates every spring\n', 'hand_edit');
    await store.delete('default', 'notes/started.md', 'hand_edit');
    agent.onApplicationBootstrap();
    const expected = ['entities/acme_corp.md', 'entities/porto.md', 'entities/zebra.md', 'user.md'];
    await waitFor(
      async () => JSON.stringify(await indexedPaths()) === JSON.stringify(expected),
      'the index to match the database',
    );
  });

  it('a run writing a file that holds a NUL keeps its bytes, journals both changes (NUL shown as ␀) and indexes it', async () => {
    // PostgreSQL text cannot hold a NUL: the version's diff made the run's write-back fail, and a
    // file stored that way (its diff too large to keep) then failed every later change.
    const reply = await ask({ question: 'Keep these raw bytes' });
    assert.equal(reply.reply, 'Kept the raw bytes.');
    assert.equal(await store.read('default', 'notes/raw.md'), '# Raw\nbefore\u0000later\n');
    const { versions } = await store.history('default', 'notes/raw.md', { limit: 10 });
    assert.deepEqual(
      versions.map(({ actor, kind }) => ({ actor, kind })),
      [{ actor: 'agent', kind: 'created' }],
      'one run, one version',
    );
    assert.match(versions[0].diff!, /\n\+before\u2400later\n$/);
    assert.equal(
      (await store.version('default', 'notes/raw.md', versions[0].id))?.content,
      '# Raw\nbefore\u0000later\n',
    );
    const listed = await api.request('GET', '/api/memories?memory_type=memory_file&page_size=100');
    const entry = listed.body.memories.find(
      (memory: { metadata: { path: string } }) => memory.metadata.path === 'notes/raw.md',
    );
    assert.equal(entry?.content, 'notes/raw.md\n\n# Raw\nbefore\u2400later\n', 'indexed, the NUL shown as ␀');

    await store.write('default', 'notes/raw.md', '# Raw\nclean\n', 'hand_edit');
    assert.equal((await store.history('default', 'notes/raw.md', { limit: 10 })).versions.length, 2);
  });
});
