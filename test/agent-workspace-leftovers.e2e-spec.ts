import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client as PgClient } from 'pg';
import { RunningEngram, serviceHelper, startEngram } from './engram-cli';
import { call, freePort, tempDir } from './process-harness';

const { waitFor } = serviceHelper('testing/wait-for.js');
const { startTestPostgres } = serviceHelper('testing/postgres-test-server.js');
const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');
const { startMemAgentTestDouble, act, answer } = serviceHelper('testing/mem-agent.test-double.js');

const STARTING_TEXT = '# User Information\n';

/** A run that writes user.md, then waits for its model until `released` settles, then replies. */
function pausedScenario(word: string, released: Promise<void>) {
  return {
    question: `remember ${word}`,
    turns: [
      act('Write it down.', `ok = create_file("user.md", ${JSON.stringify(`${STARTING_TEXT}- ${word}\n`)})`),
      { content: answer('Saved.', `Saved ${word}.`), heldUntil: released },
    ],
  };
}

/** The agent workspaces under `tmp` (at any depth), by the word their user.md was given. */
function workspacesIn(tmp: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string, depth: number) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const path = join(dir, entry.name);
      const userMd = join(path, 'user.md');
      if (entry.name.startsWith('engram-memory-') && existsSync(userMd)) {
        found.set(/^- (\w+)$/m.exec(readFileSync(userMd, 'utf8'))?.[1] ?? '', path);
      } else if (depth > 0) walk(path, depth - 1);
    }
  };
  walk(tmp, 2);
  return found;
}

describe('agent workspaces of an api killed mid-run, on PostgreSQL', () => {
  let postgres: { url: string; close(): Promise<void> };
  let embeddings: { url: string; model: string; close(): Promise<void> };
  const running: RunningEngram[] = [];

  before(async () => {
    postgres = await startTestPostgres();
    embeddings = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'workspace-model' });
  });
  after(async () => {
    await Promise.all(running.map((process) => process.stop('SIGKILL')));
    await embeddings?.close();
    await postgres?.close();
  });

  /** The namespace's stored files and how many versions the agent journaled for it. */
  async function storedFiles(namespace: string) {
    const client = new PgClient({ connectionString: postgres.url });
    await client.connect();
    try {
      const files = await client.query<{ path: string; content: Buffer }>(
        'SELECT path, content FROM agent_files WHERE namespace = $1 ORDER BY path',
        [namespace],
      );
      const versions = await client.query<{ count: string }>(
        "SELECT count(*) FROM agent_file_versions WHERE namespace = $1 AND actor = 'agent'",
        [namespace],
      );
      return {
        files: Object.fromEntries(files.rows.map((row) => [row.path, row.content.toString('utf8')])),
        agentVersions: Number(versions.rows[0].count),
      };
    } finally {
      await client.end();
    }
  }

  it('the next api start removes the folder of the killed run, not the folder of a live run beside it, and nothing the killed run wrote reaches the database', async () => {
    let releaseLive!: () => void;
    const liveReleased = new Promise<void>((resolve) => (releaseLive = resolve));
    const model = await startMemAgentTestDouble([
      pausedScenario('tea', new Promise<void>(() => {})),
      pausedScenario('chess', liveReleased),
    ]);
    const tmp = tempDir('engram-agent-tmp-');
    const dir = tempDir();
    const env = {
      MCP_MEMORY_STORAGE_BACKEND: 'postgres',
      DATABASE_URL: postgres.url,
      ENGRAM_EMBEDDING_PROVIDER: 'openai',
      MCP_EXTERNAL_EMBEDDING_URL: embeddings.url,
      MCP_EXTERNAL_EMBEDDING_MODEL: embeddings.model,
      ENGRAM_AGENT_BASE_URL: model.url,
      // Two apis on one host share its temporary folder.
      TMPDIR: tmp,
    };
    const start = async () => {
      const port = String(await freePort());
      const api = await startEngram('serve', { ...env, MCP_HTTP_PORT: port }, dir, 'Engram ready');
      running.push(api);
      return api;
    };
    try {
      const [doomed, live] = [await start(), await start()];
      for (const namespace of ['doomed', 'live']) {
        const put = await call(
          live.url,
          'PUT',
          '/api/agent/files/user.md',
          { content: STARTING_TEXT },
          { 'x-engram-namespace': namespace },
        );
        assert.ok(put.status < 300, JSON.stringify(put.body));
      }
      const ask = (api: RunningEngram, word: string, namespace: string) =>
        call(
          api.url,
          'POST',
          '/api/agent/query',
          { question: `remember ${word}` },
          { 'x-engram-namespace': namespace },
        );
      const doomedRun = ask(doomed, 'tea', 'doomed').catch((error: Error) => error);
      const liveRun = ask(live, 'chess', 'live');
      liveRun.catch(() => undefined); // awaited below; a failure before then must not go unhandled
      await waitFor(
        () => model.requestsFor('remember tea').length === 2 && model.requestsFor('remember chess').length === 2,
        'both runs to write user.md and wait for their model',
      );
      const before = workspacesIn(tmp);
      assert.deepEqual([...before.keys()].sort(), ['chess', 'tea'], 'each run works in a folder of its own');

      doomed.child.kill('SIGKILL');
      assert.ok((await doomedRun) instanceof Error, 'the killed api never answered');
      await waitFor(() => doomed.child.signalCode === 'SIGKILL', 'the api to die');
      assert.ok(existsSync(before.get('tea')!), 'a killed run leaves its folder');
      assert.deepEqual(
        await storedFiles('doomed'),
        { files: { 'user.md': STARTING_TEXT }, agentVersions: 0 },
        'nothing the killed run wrote is stored',
      );

      const next = await start();
      await waitFor(() => !existsSync(before.get('tea')!), 'the killed run’s folder to be removed', 20_000);
      await next.waitForOutput((output) => output.includes('Abandoned agent workspace folder removed'));
      assert.equal(readFileSync(join(before.get('chess')!, 'user.md'), 'utf8'), `${STARTING_TEXT}- chess\n`);

      releaseLive();
      const reply = await liveRun;
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.deepEqual(await storedFiles('live'), {
        files: { 'user.md': `${STARTING_TEXT}- chess\n` },
        agentVersions: 1,
      });
      assert.equal(existsSync(before.get('chess')!), false, 'a run that ends removes its folder');

      assert.equal(await live.stop(), 0);
      assert.equal(await next.stop(), 0);
      assert.deepEqual(
        readdirSync(tmp).filter((name) => name.startsWith('engram-memory-') || name.startsWith('engram-workspaces-')),
        [],
        'apis that stop leave no workspace folder',
      );
    } finally {
      await model.close();
    }
  });
});
