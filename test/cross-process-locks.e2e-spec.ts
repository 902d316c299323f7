import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RunningEngram as Running, serviceHelper, startEngram } from './engram-cli';
import { call, freePort, tempDir } from './process-harness';

const { startTestRedis } = serviceHelper('testing/redis-server.js');
const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');
const { startMemAgentTestDouble, act, answer } = serviceHelper('testing/mem-agent.test-double.js');

/** The one string value of a `<result>` message, unescaped (enough for these files). */
function shownText(observation: string): string {
  const quoted = /\{'user_md': '(.*)'\}/s.exec(observation)![1];
  return quoted.replace(/\\n/g, '\n').replace(/\\'/g, "'").replace(/\\\\/g, '\\');
}

/**
 * A read-modify-write over two model turns with a slow model in between: two runs that overlap lose
 * one of the lines.
 */
function rememberScenario(word: string, line: string) {
  return {
    question: `remember ${word}`,
    turns: [
      { content: act('Read user.md.', 'user_md = read_file("user.md")'), delayMs: 30 },
      (messages: { content: string }[]) => ({
        content: act(
          'Write it back with the new line.',
          `ok = create_file("user.md", ${JSON.stringify(shownText(messages.at(-1)!.content) + line + '\n')})`,
        ),
        delayMs: 300,
      }),
      answer('Saved.', `Saved ${word}.`),
    ],
  };
}

async function finished(url: string, id: string): Promise<any> {
  for (;;) {
    const job = (await call(url, 'GET', `/api/jobs/${id}`)).body;
    if (['completed', 'failed', 'cancelled'].includes(job.state)) return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('locks that hold across processes of one store', () => {
  let embeddings: any;
  const running: Running[] = [];
  const embeddingEnv = () => ({
    ENGRAM_EMBEDDING_PROVIDER: 'openai',
    MCP_EXTERNAL_EMBEDDING_URL: embeddings.url,
    MCP_EXTERNAL_EMBEDDING_MODEL: embeddings.model,
  });
  const start = async (command: 'serve' | 'worker', env: Record<string, string>, dir: string) => {
    const port = String(await freePort());
    const process = await startEngram(
      command,
      { ...embeddingEnv(), ...env, MCP_HTTP_PORT: port, WORKER_HTTP_PORT: port },
      dir,
      command === 'serve' ? 'Engram ready' : 'Engram worker ready',
    );
    running.push(process);
    return process;
  };

  before(async () => {
    embeddings = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'locks-model' });
  });
  after(async () => {
    await Promise.all(running.map((process) => process.stop('SIGKILL')));
    await embeddings.close();
  });

  it('agent runs in two api processes on one namespace take turns: both read-modify-writes survive', async () => {
    const model = await startMemAgentTestDouble([
      rememberScenario('tea', '- drink: tea'),
      rememberScenario('chess', '- game: chess'),
    ]);
    try {
      const dir = tempDir();
      const folder = join(dir, 'data', 'memory', 'default');
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'user.md'), '# User Information\n');
      const env = { ENGRAM_AGENT_BASE_URL: model.url };
      const [first, second] = await Promise.all([start('serve', env, dir), start('serve', env, dir)]);
      const [tea, chess] = await Promise.all([
        call(first.url, 'POST', '/api/agent/query', { question: 'remember tea' }),
        call(second.url, 'POST', '/api/agent/query', { question: 'remember chess' }),
      ]);
      assert.equal(tea.status, 200, JSON.stringify(tea.body));
      assert.equal(chess.status, 200, JSON.stringify(chess.body));
      const userMd = readFileSync(join(folder, 'user.md'), 'utf8');
      assert.match(userMd, /- drink: tea/);
      assert.match(userMd, /- game: chess/);
    } finally {
      await model.close();
    }
  });

  it('with two workers, a restore waits for the reindex the other worker runs', async () => {
    const redis = await startTestRedis();
    try {
      const dir = tempDir();
      const env = { REDIS_URL: redis.url };
      const api = await start('serve', env, dir);
      for (let batch = 0; batch < 2; batch++) {
        const memories = Array.from({ length: 500 }, (_, i) => ({ content: `memory ${batch}-${i}` }));
        assert.equal((await call(api.url, 'POST', '/api/memories/batch', { memories })).status, 200);
      }
      // One memory per embedding call: the reindex lasts long enough for the restore to arrive.
      await start('worker', { ...env, ENGRAM_EMBEDDING_BATCH_SIZE: '1' }, dir);
      const backup = await finished(api.url, (await call(api.url, 'POST', '/api/admin/backup')).body.job_id);
      assert.equal(backup.state, 'completed', backup.error);
      await start('worker', env, dir);

      const reindexId = (await call(api.url, 'POST', '/api/admin/reindex')).body.job_id;
      for (;;) {
        const job = (await call(api.url, 'GET', `/api/jobs/${reindexId}`)).body;
        if (job.state === 'active' && job.progress > 0) break;
        assert.ok(!['completed', 'failed'].includes(job.state), 'the reindex ended before the restore was queued');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const restoreId = (await call(api.url, 'POST', '/api/admin/restore', { backup_id: backup.result.backup_id })).body
        .job_id;
      const [reindex, restore] = await Promise.all([finished(api.url, reindexId), finished(api.url, restoreId)]);
      assert.equal(reindex.state, 'completed', reindex.error);
      assert.equal(restore.state, 'completed', restore.error);
      assert.ok(
        Date.parse(restore.finished_at) > Date.parse(reindex.finished_at),
        `restore ended at ${restore.finished_at}, before the reindex (${reindex.finished_at})`,
      );
    } finally {
      await redis.close();
    }
  });
});
