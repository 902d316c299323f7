import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../testing/wait-for';
import { act, answer, MemAgentTestDouble, startMemAgentTestDouble } from '../testing/mem-agent.test-double';
import { makeTempDir, startTestApp, TestApp } from '../testing/test-app';
import { AgentService } from './agent.service';

const SLOW_MODEL = 'Summarise my whole life';
const SLOW_CODE = 'Index every file there is';

/** Each question writes a file first, then outlasts any test: in the model (a late answer), or in its code. */
const SCENARIOS = [
  {
    question: SLOW_MODEL,
    turns: [
      act('Note it first.', 'made = create_file("entities/life.md", "# Life\\n")'),
      { content: answer('Done.', 'Too late.'), delayMs: 60_000 },
    ],
  },
  {
    question: SLOW_CODE,
    turns: [
      act('Mark the start, then loop.', 'made = create_file("entities/index.md", "# Index\\n")\nwhile True:\n    pass'),
    ],
  },
];

describe('a stopping server and the memory agent (real api, real sandbox; the model is a scripted test double)', () => {
  let api: TestApp;
  let model: MemAgentTestDouble;
  let memoryDir: string;

  before(async () => {
    model = await startMemAgentTestDouble(SCENARIOS);
    const dir = makeTempDir();
    memoryDir = join(dir, 'memory');
    for (const namespace of ['default', 'work']) mkdirSync(join(memoryDir, namespace, 'entities'), { recursive: true });
    api = await startTestApp(
      {
        ENGRAM_AGENT_BASE_URL: model.url,
        MEMORY_DIR: memoryDir,
        ENGRAM_AGENT_SHUTDOWN_GRACE_SECONDS: '1',
        ENGRAM_SANDBOX_TIMEOUT_SECONDS: '30',
      },
      dir,
    );
  });
  after(async () => {
    await api.close();
    await model.close();
  });

  const metric = async (pattern: RegExp) => Number(pattern.exec((await api.request('GET', '/metrics')).text)?.[1] ?? 0);

  it('interrupts what outlasts the grace with a 503 naming what was kept, stops its code at once, and takes no new question', async () => {
    const waiting = api.request('POST', '/api/agent/query', { body: { question: SLOW_MODEL } });
    // In another namespace: one run at a time per namespace's folder.
    const looping = api.request('POST', '/api/agent/query', {
      body: { question: SLOW_CODE },
      headers: { 'x-engram-namespace': 'work' },
    });
    await waitFor(() => model.requestsFor(SLOW_MODEL).length === 2, 'the first question to wait for its model');
    await waitFor(() => existsSync(join(memoryDir, 'work', 'entities', 'index.md')), 'the second to run its loop');

    // What a SIGTERM's app.close() runs first (beforeApplicationShutdown), here on its own so the server
    // still answers while it does.
    const stopping = api.app.get(AgentService).beforeApplicationShutdown();
    const refused = await api.request('POST', '/api/agent/query', { body: { question: 'Anything new?' } });
    assert.equal(refused.status, 503, refused.text);
    assert.equal(refused.body.error, 'agent_interrupted');
    assert.match(refused.body.message, /takes no new questions/);
    assert.equal(refused.headers.get('retry-after'), '5');

    await stopping;
    for (const [response, file] of [
      [await waiting, 'entities/life.md'],
      [await looping, 'entities/index.md'],
    ] as const) {
      assert.equal(response.status, 503, response.text);
      assert.equal(response.body.error, 'agent_interrupted');
      assert.match(response.body.message, /shutting down .* what it wrote so far is kept/);
      assert.deepEqual(
        response.body.details.files_changed.map(({ path, change }: { path: string; change: string }) => [path, change]),
        [[file, 'created']],
      );
    }
    assert.equal(await metric(/engram_agent_runs_total\{outcome="interrupted"\} (\d+)/), 2);
    // The loop was stopped by the interruption, not left to its 30-second limit.
    assert.equal(await metric(/engram_sandbox_violations_total\{kind="timeout"\} (\d+)/), 0);
    assert.equal(model.requestsFor(SLOW_CODE).length, 1);
  });
});
