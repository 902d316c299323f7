import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AgentConfig } from '../config/config.types';
import { EngramMetrics } from '../metrics/engram-metrics';
import { answer, MemAgentTestDouble, startMemAgentTestDouble } from '../testing/mem-agent.test-double';
import { ChatCompletionsRepository } from './chat-completions.repository';
import { PRIMARY_COOL_DOWN_MS, PrimaryCircuit } from './primary-circuit';

const QUESTION = 'Which city?';
const SCENARIO = { question: QUESTION, turns: [answer('It is in user.md.', 'Lisbon.')] };

describe('the primary model endpoint circuit (two scripted model servers, a controlled clock)', () => {
  let primary: MemAgentTestDouble;
  let fallback: MemAgentTestDouble;
  let now = 1_000_000;
  let model: ChatCompletionsRepository;
  const metrics = new EngramMetrics();

  before(async () => {
    primary = await startMemAgentTestDouble([SCENARIO]);
    fallback = await startMemAgentTestDouble([SCENARIO], 'fallback-model');
    const config = {
      baseUrl: primary.url,
      provider: 'vllm',
      model: 'driaforall/mem-agent',
      fallback: { baseUrl: fallback.url, provider: 'openai_compatible', model: 'fallback-model' },
      requestTimeoutMs: 5_000,
      maxRetries: 0,
      maxTokens: 256,
    } as AgentConfig;
    const noSleep = async () => undefined;
    model = new ChatCompletionsRepository(config, metrics, noSleep, new PrimaryCircuit(() => now));
  });
  after(async () => {
    await primary.close();
    await fallback.close();
  });

  const ask = () => model.complete([{ role: 'user', content: QUESTION }]);
  /** Calls the primary answered, failed (its scripted 5xx are not recorded as requests), and the fallback's. */
  const fallbacks = async (reason: string) =>
    Number(
      (await metrics.scrape()).match(
        new RegExp(`^engram_llm_fallbacks_total\\{reason="${reason}"\\} (\\d+)$`, 'm'),
      )?.[1] ?? 0,
    );
  const calls = async () => ({
    primary: primary.requests.length,
    primaryFailed: await fallbacks('server_error'),
    fallback: fallback.requests.length,
  });
  const gauge = async () => (await metrics.scrape()).match(/^engram_llm_primary_circuit_open (\d)$/m)?.[1];

  it('stops waiting for a primary that failed three calls in a row, and tries it again after the cool-down', async () => {
    primary.failNext(503, 3);
    for (let i = 0; i < 3; i++) await ask();
    assert.deepEqual(await calls(), { primary: 0, primaryFailed: 3, fallback: 3 }, 'each call asked the primary first');
    assert.equal(await gauge(), '1');

    await ask();
    await ask();
    assert.deepEqual(
      await calls(),
      { primary: 0, primaryFailed: 3, fallback: 5 },
      'the open circuit skips the primary',
    );
    assert.equal(await fallbacks('circuit_open'), 2);

    now += PRIMARY_COOL_DOWN_MS;
    await ask();
    assert.deepEqual(
      await calls(),
      { primary: 1, primaryFailed: 3, fallback: 5 },
      'after the cool-down one call probes the primary',
    );
    assert.equal(await gauge(), '0', 'its answer closed the circuit');
    await ask();
    assert.deepEqual(await calls(), { primary: 2, primaryFailed: 3, fallback: 5 });
  });

  it('opens again at once when the probe fails, and a failure or two alone never opens it', async () => {
    primary.failNext(500, 3);
    for (let i = 0; i < 3; i++) await ask();
    now += PRIMARY_COOL_DOWN_MS;
    primary.failNext(500, 1);
    const before = await calls();
    await ask(); // the probe fails, the fallback answers
    await ask(); // open again: straight to the fallback
    assert.deepEqual(await calls(), {
      primary: before.primary,
      primaryFailed: before.primaryFailed + 1,
      fallback: before.fallback + 2,
    });

    now += PRIMARY_COOL_DOWN_MS;
    await ask(); // the probe succeeds
    primary.failNext(500, 2);
    await ask();
    await ask();
    const afterTwo = await calls();
    await ask();
    assert.equal((await calls()).primary, afterTwo.primary + 1, 'two failures in a row leave the circuit closed');
  });
});
