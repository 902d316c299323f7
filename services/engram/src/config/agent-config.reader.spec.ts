import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.loader';

const dir = mkdtempSync(join(tmpdir(), 'engram-agent-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const agentOf = (env: Record<string, string>) => loadConfig({ env, cwd: dir }).agent;
const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig({ env, cwd: dir });
    return [];
  } catch (error) {
    return (error as ConfigError).problems;
  }
};

describe('memory agent and sandbox configuration', () => {
  it('is disabled without an endpoint, with the reference defaults', () => {
    const config = loadConfig({ env: {}, cwd: dir });
    assert.equal(config.agent.baseUrl, undefined);
    assert.equal(config.agent.provider, 'none');
    assert.equal(config.agent.model, 'driaforall/mem-agent');
    assert.equal(config.agent.maxToolTurns, 20);
    assert.equal(config.agent.keepTranscripts, false);
    assert.deepEqual(config.sandbox, {
      mode: 'auto',
      python: '/usr/bin/python3',
      timeoutMs: 20_000,
      memoryBytes: 256 << 20,
    });
  });

  it('builds the vLLM URL from VLLM_HOST and VLLM_PORT, keeping a scheme or port given in the host', () => {
    assert.equal(agentOf({ VLLM_HOST: 'vllm' }).baseUrl, 'http://vllm:8000/v1');
    const vllm = agentOf({ VLLM_HOST: 'gpu.internal', VLLM_PORT: '9000', VLLM_API_KEY: 'k1' });
    assert.deepEqual([vllm.baseUrl, vllm.apiKey, vllm.provider], ['http://gpu.internal:9000/v1', 'k1', 'vllm']);
    assert.equal(agentOf({ VLLM_HOST: 'https://gpu.example:8443' }).baseUrl, 'https://gpu.example:8443/v1');
    assert.equal(agentOf({ VLLM_HOST: 'vllm', LITELLM_API_KEY: 'lite' }).apiKey, 'lite');
  });

  it('prefers ENGRAM_AGENT_BASE_URL, then VLLM_HOST, then OPENROUTER_API_KEY', () => {
    const all = {
      ENGRAM_AGENT_BASE_URL: 'http://llm.local/v1/',
      VLLM_HOST: 'vllm',
      OPENROUTER_API_KEY: 'or-key',
      AGENT_MODEL: 'm',
    };
    assert.deepEqual(
      [agentOf(all).baseUrl, agentOf(all).provider, agentOf(all).model],
      ['http://llm.local/v1', 'openai_compatible', 'm'],
    );
    const openRouter = agentOf({ OPENROUTER_API_KEY: 'or-key' });
    assert.deepEqual(
      [openRouter.baseUrl, openRouter.apiKey, openRouter.provider],
      ['https://openrouter.ai/api/v1', 'or-key', 'openrouter'],
    );
  });

  it('reads a fallback endpoint: any URL, or `openrouter` with its key; the model defaults to AGENT_MODEL', () => {
    const primary = { VLLM_HOST: 'vllm', AGENT_MODEL: 'm' };
    assert.equal(agentOf(primary).fallback, undefined);
    assert.deepEqual(
      agentOf({
        ...primary,
        ENGRAM_AGENT_FALLBACK_BASE_URL: 'https://llm.example/v1/',
        ENGRAM_AGENT_FALLBACK_API_KEY: 'k',
      }).fallback,
      { baseUrl: 'https://llm.example/v1', apiKey: 'k', provider: 'openai_compatible', model: 'm' },
    );
    const hybrid = agentOf({
      ...primary,
      ENGRAM_AGENT_FALLBACK_BASE_URL: 'openrouter',
      ENGRAM_AGENT_FALLBACK_MODEL: 'qwen/qwen3-235b',
      OPENROUTER_API_KEY: 'or-key',
    });
    assert.equal(hybrid.provider, 'vllm', 'OPENROUTER_API_KEY does not replace the primary');
    assert.deepEqual(hybrid.fallback, {
      baseUrl: 'https://openrouter.ai/api/v1',
      apiKey: 'or-key',
      provider: 'openrouter',
      model: 'qwen/qwen3-235b',
    });
  });

  it('refuses a fallback without a primary, without its URL, or OpenRouter without a key, never echoing a key', () => {
    const problems = [
      ...problemsOf({ ENGRAM_AGENT_FALLBACK_BASE_URL: 'http://llm.local/v1' }),
      ...problemsOf({ VLLM_HOST: 'vllm', ENGRAM_AGENT_FALLBACK_API_KEY: 'fallback-secret' }),
      ...problemsOf({ VLLM_HOST: 'vllm', ENGRAM_AGENT_FALLBACK_MODEL: 'driaforall/mem-agent' }),
      ...problemsOf({ VLLM_HOST: 'vllm', ENGRAM_AGENT_FALLBACK_BASE_URL: 'openrouter' }),
      ...problemsOf({ VLLM_HOST: 'vllm', ENGRAM_AGENT_FALLBACK_BASE_URL: 'llm.local' }),
    ].join('\n');
    assert.match(problems, /ENGRAM_AGENT_FALLBACK_BASE_URL needs a primary endpoint/);
    // Each problem names the variable that is set in full, as every other configuration problem does.
    assert.match(problems, /^ENGRAM_AGENT_FALLBACK_API_KEY is set but ENGRAM_AGENT_FALLBACK_BASE_URL is not$/m);
    assert.match(problems, /^ENGRAM_AGENT_FALLBACK_MODEL is set but ENGRAM_AGENT_FALLBACK_BASE_URL is not$/m);
    assert.deepEqual(
      problemsOf({ ENGRAM_AGENT_FALLBACK_API_KEY: 'fallback-secret', ENGRAM_AGENT_FALLBACK_MODEL: 'm' }),
      [
        'ENGRAM_AGENT_FALLBACK_API_KEY and ENGRAM_AGENT_FALLBACK_MODEL are set but ENGRAM_AGENT_FALLBACK_BASE_URL is not',
      ],
    );
    assert.match(problems, /=openrouter needs ENGRAM_AGENT_FALLBACK_API_KEY or OPENROUTER_API_KEY/);
    assert.match(problems, /ENGRAM_AGENT_FALLBACK_BASE_URL=llm.local is not accepted/);
    assert.ok(!problems.includes('fallback-secret'));
  });

  it('names every bad value, and never echoes a key', () => {
    const problems = problemsOf({
      ENGRAM_AGENT_BASE_URL: 'llm.local',
      ENGRAM_AGENT_API_KEY: 'secret-key-value',
      ENGRAM_AGENT_MAX_TOOL_TURNS: '0',
      ENGRAM_AGENT_REDACT_PATTERNS: '["ok", "(unclosed"]',
      ENGRAM_SANDBOX_MODE: 'none',
      ENGRAM_SANDBOX_TIMEOUT_SECONDS: 'soon',
    });
    assert.equal(problems.length, 5, problems.join('\n'));
    assert.match(problems.join('\n'), /ENGRAM_AGENT_BASE_URL=llm.local is not accepted/);
    assert.match(problems.join('\n'), /ENGRAM_AGENT_MAX_TOOL_TURNS=0/);
    assert.match(problems.join('\n'), /ENGRAM_AGENT_REDACT_PATTERNS\[1\] is not a valid regular expression/);
    assert.match(
      problems.join('\n'),
      /ENGRAM_SANDBOX_MODE=none is not supported; accepted values: auto, bwrap, landlock/,
    );
    assert.match(problems.join('\n'), /ENGRAM_SANDBOX_TIMEOUT_SECONDS=soon/);
    assert.ok(!problems.join('\n').includes('secret-key-value'));
    assert.match(problemsOf({ ENGRAM_AGENT_REDACT_PATTERNS: 'email' }).join(), /expected a JSON array/);
  });
});
