import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.loader';

const dir = mkdtempSync(join(tmpdir(), 'engram-judge-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const judgeOf = (env: Record<string, string>) => loadConfig({ env, cwd: dir }).conflicts.judge;
const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig({ env, cwd: dir });
    return [];
  } catch (error) {
    return (error as ConfigError).problems;
  }
};

describe('the conflict judge settings (ENGRAM_CONFLICTS_JUDGE_*)', () => {
  it('is off by default and when set to off', () => {
    assert.equal(judgeOf({}), undefined);
    assert.equal(judgeOf({ ENGRAM_CONFLICTS_JUDGE_URL: 'off' }), undefined);
  });

  it('takes a URL with its model, key, timeout, concurrency and waits per namespace', () => {
    assert.deepEqual(
      judgeOf({
        ENGRAM_CONFLICTS_JUDGE_URL: 'http://judge.internal:8080/v1/',
        ENGRAM_CONFLICTS_JUDGE_MODEL: 'qwen3-8b',
        ENGRAM_CONFLICTS_JUDGE_API_KEY: 'judge-secret',
        ENGRAM_CONFLICTS_JUDGE_TIMEOUT_MS: '4000',
        ENGRAM_CONFLICTS_JUDGE_CONCURRENCY: '3',
        ENGRAM_CONFLICTS_JUDGE_MAX_WAITING_PER_NAMESPACE: '40',
      }),
      {
        baseUrl: 'http://judge.internal:8080/v1',
        apiKey: 'judge-secret',
        provider: 'openai_compatible',
        model: 'qwen3-8b',
        timeoutMs: 4000,
        concurrency: 3,
        maxWaitingPerNamespace: 40,
      },
    );
  });

  it('reads the key from a file (a mounted secret)', () => {
    writeFileSync(join(dir, 'judge.key'), 'from-a-file\n');
    const judge = judgeOf({
      ENGRAM_CONFLICTS_JUDGE_URL: 'https://judge.example/v1',
      ENGRAM_CONFLICTS_JUDGE_MODEL: 'm',
      ENGRAM_CONFLICTS_JUDGE_API_KEY_FILE: 'judge.key',
    });
    assert.equal(judge?.apiKey, 'from-a-file');
  });

  it("with agent, uses the agent's endpoint, key and model unless another model is named", () => {
    const agentEnv = { ENGRAM_AGENT_BASE_URL: 'http://vllm:8000/v1', ENGRAM_AGENT_API_KEY: 'agent-key' };
    const judge = judgeOf({ ...agentEnv, ENGRAM_CONFLICTS_JUDGE_URL: 'agent' });
    assert.deepEqual(
      [
        judge?.baseUrl,
        judge?.apiKey,
        judge?.model,
        judge?.timeoutMs,
        judge?.concurrency,
        judge?.maxWaitingPerNamespace,
      ],
      ['http://vllm:8000/v1', 'agent-key', 'driaforall/mem-agent', 15_000, 2, 16],
    );
    assert.equal(
      judgeOf({ ...agentEnv, ENGRAM_CONFLICTS_JUDGE_URL: 'AGENT', ENGRAM_CONFLICTS_JUDGE_MODEL: 'other' })?.model,
      'other',
    );
  });

  it('stops start-up with one clear line per mistake, never echoing a key', () => {
    assert.deepEqual(problemsOf({ ENGRAM_CONFLICTS_JUDGE_URL: 'agent' }), [
      "ENGRAM_CONFLICTS_JUDGE_URL=agent needs the agent's endpoint: set ENGRAM_AGENT_BASE_URL, VLLM_HOST or OPENROUTER_API_KEY",
    ]);
    assert.deepEqual(problemsOf({ ENGRAM_CONFLICTS_JUDGE_URL: 'http://judge/v1' }), [
      'ENGRAM_CONFLICTS_JUDGE_URL needs ENGRAM_CONFLICTS_JUDGE_MODEL: the model name the endpoint serves',
    ]);
    assert.deepEqual(problemsOf({ ENGRAM_CONFLICTS_JUDGE_URL: 'judge:8080', ENGRAM_CONFLICTS_JUDGE_MODEL: 'm' }), [
      'ENGRAM_CONFLICTS_JUDGE_URL=judge:8080 is not accepted; expected off, agent, or an http:// or https:// URL',
    ]);
    assert.deepEqual(problemsOf({ ENGRAM_CONFLICTS_JUDGE_MODEL: 'm', ENGRAM_CONFLICTS_JUDGE_API_KEY: 'sk-secret' }), [
      'ENGRAM_CONFLICTS_JUDGE_MODEL, ENGRAM_CONFLICTS_JUDGE_API_KEY set but ENGRAM_CONFLICTS_JUDGE_URL is not (a URL, or agent)',
    ]);
    const agentWithKey = problemsOf({
      VLLM_HOST: 'vllm',
      ENGRAM_CONFLICTS_JUDGE_URL: 'agent',
      ENGRAM_CONFLICTS_JUDGE_API_KEY: 'sk-secret',
    });
    assert.deepEqual(agentWithKey, [
      "ENGRAM_CONFLICTS_JUDGE_URL=agent uses the agent's API key; unset ENGRAM_CONFLICTS_JUDGE_API_KEY(_FILE)",
    ]);
    const unreadable = problemsOf({
      ENGRAM_CONFLICTS_JUDGE_URL: 'http://judge/v1',
      ENGRAM_CONFLICTS_JUDGE_MODEL: 'm',
      ENGRAM_CONFLICTS_JUDGE_API_KEY_FILE: 'missing.key',
      ENGRAM_CONFLICTS_JUDGE_TIMEOUT_MS: '10',
    });
    assert.deepEqual(unreadable, [
      'ENGRAM_CONFLICTS_JUDGE_TIMEOUT_MS=10 is not accepted; expected an integer from 100 to 600000',
      'ENGRAM_CONFLICTS_JUDGE_API_KEY_FILE=missing.key cannot be read: ENOENT',
    ]);
    const both = problemsOf({
      ENGRAM_CONFLICTS_JUDGE_URL: 'http://judge/v1',
      ENGRAM_CONFLICTS_JUDGE_MODEL: 'm',
      ENGRAM_CONFLICTS_JUDGE_API_KEY: 'sk-secret',
      ENGRAM_CONFLICTS_JUDGE_API_KEY_FILE: 'judge.key',
    });
    assert.deepEqual(both, ['Set ENGRAM_CONFLICTS_JUDGE_API_KEY or ENGRAM_CONFLICTS_JUDGE_API_KEY_FILE, not both']);
    assert.ok(!JSON.stringify([both, agentWithKey]).includes('sk-secret'));
  });
});
