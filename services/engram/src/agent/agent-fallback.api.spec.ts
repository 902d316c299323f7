import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listenOnLoopback } from '../testing/loopback-server';
import { act, answer, MemAgentTestDouble, startMemAgentTestDouble } from '../testing/mem-agent.test-double';
import { captureStdout } from '../testing/stdout-capture';
import { makeTempDir, startTestApp, TestApp, TestResponse } from '../testing/test-app';

const PRIMARY_KEY = 'primary-secret-key-0123';
const FALLBACK_KEY = 'fallback-secret-key-4567';
const FALLBACK_MODEL = 'openrouter/mem-agent';
const QUESTION = 'Where do I live?';

/** Two model calls, so a fallback can answer one turn of a conversation the primary answers the next. */
const SCENARIO = {
  question: QUESTION,
  turns: [
    act('Read user.md for the city.', 'user_md = read_file("user.md")'),
    answer('user.md says Lisbon.', 'You live in Lisbon.'),
  ],
};

/** A directory with one memory file, and the settings of an agent with a primary and a fallback. */
function agentEnv(primaryUrl: string, fallbackUrl: string): { dir: string; env: Record<string, string> } {
  const dir = makeTempDir();
  mkdirSync(join(dir, 'memory', 'default'), { recursive: true });
  writeFileSync(join(dir, 'memory', 'default', 'user.md'), '# User Information\n- city: Lisbon\n');
  const env = {
    MEMORY_DIR: join(dir, 'memory'),
    ENGRAM_AGENT_BASE_URL: primaryUrl,
    ENGRAM_AGENT_API_KEY: PRIMARY_KEY,
    ENGRAM_AGENT_FALLBACK_BASE_URL: fallbackUrl,
    ENGRAM_AGENT_FALLBACK_API_KEY: FALLBACK_KEY,
    ENGRAM_AGENT_FALLBACK_MODEL: FALLBACK_MODEL,
    ENGRAM_AGENT_MAX_RETRIES: '1',
    ENGRAM_AGENT_REQUEST_TIMEOUT_SECONDS: '1',
  };
  return { dir, env };
}

/** A loopback URL where nothing listens: connections are refused. */
async function refusingUrl(): Promise<string> {
  const { port, close } = await listenOnLoopback(createServer());
  await close();
  return `http://127.0.0.1:${port}/v1`;
}

function counter(metrics: string, name: string, labels: string): number {
  const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${name}{${labels}}`));
  return Number(line?.split(' ')[1] ?? 0);
}

describe('memory agent fallback endpoint (real api and sandbox; both model servers are scripted test doubles)', () => {
  let api: TestApp;
  let primary: MemAgentTestDouble;
  let fallback: MemAgentTestDouble;

  before(async () => {
    primary = await startMemAgentTestDouble([SCENARIO]);
    fallback = await startMemAgentTestDouble([SCENARIO], FALLBACK_MODEL);
    const { dir, env } = agentEnv(primary.url, fallback.url);
    api = await startTestApp(env, dir);
  });
  after(async () => {
    await api.close();
    await primary.close();
    await fallback.close();
  });

  const ask = () => api.request('POST', '/api/agent/query', { body: { question: QUESTION } });
  const metric = async (name: string, labels: string) =>
    counter((await api.request('GET', '/metrics')).text, name, labels);

  it('sends a call the primary answers with 5xx to the fallback, with its own model and key; the next call goes to the primary', async () => {
    const [primaryBefore, fallbackBefore] = [primary.requests.length, fallback.requests.length];
    primary.failNext(503);
    const response = await ask();
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.reply, 'You live in Lisbon.');
    const [first] = fallback.requests.slice(fallbackBefore);
    assert.equal(fallback.requests.length - fallbackBefore, 1, 'the fallback answered the failed call only');
    assert.equal(first.body.model, FALLBACK_MODEL);
    assert.equal(first.authorization, `Bearer ${FALLBACK_KEY}`);
    const second = primary.requests.slice(primaryBefore);
    assert.equal(second.length, 1, 'the second turn went to the primary');
    assert.equal(second[0].authorization, `Bearer ${PRIMARY_KEY}`);
    assert.equal(await metric('engram_llm_fallbacks_total', 'reason="server_error"'), 1);
    assert.ok((await metric('engram_llm_answers_total', 'endpoint="fallback"')) >= 1);
    assert.ok((await metric('engram_llm_answers_total', 'endpoint="primary"')) >= 1);
  });

  it('sends a call the primary does not answer within the request timeout to the fallback', async () => {
    const fallbackBefore = fallback.requests.length;
    primary.stallNext();
    const response = await ask();
    assert.equal(response.status, 200, response.text);
    assert.equal(fallback.requests.length - fallbackBefore, 1);
    assert.equal(await metric('engram_llm_fallbacks_total', 'reason="timeout"'), 1);
  });

  it('never sends a request the primary rejects with 4xx to the fallback: a clear 502 naming the answer', async () => {
    const fallbackBefore = fallback.requests.length;
    const fallbacksBefore = await metric('engram_llm_fallbacks_total', 'reason="server_error"');
    primary.failNext(400);
    const response = await ask();
    assert.equal(response.status, 502, response.text);
    assert.equal(response.body.error, 'model_unavailable');
    assert.match(response.body.message, /the model endpoint answered 400: Scripted failure 400/);
    assert.doesNotMatch(response.body.message, /fallback/);
    assert.equal(fallback.requests.length, fallbackBefore, 'the fallback was not asked');
    assert.equal(await metric('engram_llm_fallbacks_total', 'reason="server_error"'), fallbacksBefore);
  });

  it('waits out a 429 on the primary instead of switching', async () => {
    const fallbackBefore = fallback.requests.length;
    primary.failNext(429);
    const response = await ask();
    assert.equal(response.status, 200, response.text);
    assert.equal(fallback.requests.length, fallbackBefore);
  });

  it('shows both endpoints in the status, never a key', async () => {
    const status = await api.request('GET', '/api/agent/status');
    assert.deepEqual(status.body.endpoint, {
      configured: true,
      provider: 'openai_compatible',
      model: 'driaforall/mem-agent',
      base_url: primary.url,
      fallback: { provider: 'openai_compatible', model: FALLBACK_MODEL, base_url: fallback.url },
    });
    assert.ok(!status.text.includes(PRIMARY_KEY) && !status.text.includes(FALLBACK_KEY));
    const ready = await api.request('GET', '/health/ready');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body.details.model_endpoint.fallback, {
      provider: 'openai_compatible',
      model: FALLBACK_MODEL,
      reachable: true,
      model_listed: true,
    });
  });
});

describe('memory agent whose primary refuses connections', () => {
  it('is answered by the fallback; with the fallback down too, a 502 naming both; no key in any log line', async () => {
    const fallback = await startMemAgentTestDouble([SCENARIO], FALLBACK_MODEL);
    const { dir, env } = agentEnv(await refusingUrl(), fallback.url);
    let bothDown: TestResponse | undefined;
    const logs = await captureStdout(async () => {
      const api = await startTestApp({ ...env, LOG_LEVEL: 'debug' }, dir);
      try {
        const answered = await api.request('POST', '/api/agent/query', { body: { question: QUESTION } });
        assert.equal(answered.status, 200, answered.text);
        assert.equal(fallback.requests.length, 2, 'both turns answered by the fallback');
        const ready = (await api.request('GET', '/health/ready')).body.details.model_endpoint;
        assert.equal(ready.reachable, false);
        assert.match(ready.message, /model endpoint unreachable/);
        assert.equal(ready.fallback.reachable, true, 'readiness shows the fallback can answer');
        assert.match(
          (await api.request('GET', '/metrics')).text,
          /engram_llm_fallbacks_total\{reason="unreachable"\} 2/,
        );
        await fallback.close();
        bothDown = await api.request('POST', '/api/agent/query', { body: { question: QUESTION } });
      } finally {
        await api.close();
      }
    });
    assert.equal(bothDown!.status, 502, bothDown!.text);
    assert.equal(bothDown!.body.error, 'model_unavailable');
    assert.match(
      bothDown!.body.message,
      /^The memory agent's model endpoint failed: the model endpoint did not answer \(ECONNREFUSED\), and the fallback endpoint did not answer \(ECONNREFUSED\)$/,
    );
    assert.ok(logs.length > 0, 'the api logged at debug level');
    assert.ok(!logs.includes(PRIMARY_KEY), 'the primary key appears in the logs');
    assert.ok(!logs.includes(FALLBACK_KEY), 'the fallback key appears in the logs');
  });
});
