import { AgentConfig, AgentFallbackConfig, AgentProvider, SandboxConfig } from './config.types';
import { EnvReader, shownUrlSetting } from './env-reader';

const OPENROUTER_BASE_URL = 'https://openrouter.ai/api/v1';
export const DEFAULT_AGENT_MODEL = 'driaforall/mem-agent';

/**
 * The memory agent's model endpoint, in order of precedence: ENGRAM_AGENT_BASE_URL (any
 * OpenAI-compatible server), VLLM_HOST[:VLLM_PORT] (the reference's variables), OPENROUTER_API_KEY.
 * None set: the agent is disabled and its endpoints answer 503 saying what to set.
 */
export function readAgentConfig(read: EnvReader): AgentConfig {
  const endpoint = readEndpoint(read);
  const model = read.string('AGENT_MODEL', DEFAULT_AGENT_MODEL);
  return {
    ...endpoint,
    model,
    fallback: readFallback(read, endpoint.provider, model),
    requestTimeoutMs: read.integer('ENGRAM_AGENT_REQUEST_TIMEOUT_SECONDS', 300, 1, 3600) * 1000,
    maxRetries: read.integer('ENGRAM_AGENT_MAX_RETRIES', 3, 0, 10),
    maxTokens: read.integer('ENGRAM_AGENT_MAX_TOKENS', 8192, 256, 131_072),
    maxToolTurns: read.integer('ENGRAM_AGENT_MAX_TOOL_TURNS', 20, 1, 50),
    toolOutputChars: read.integer('ENGRAM_AGENT_TOOL_OUTPUT_CHARS', 20_000, 500, 1_000_000),
    deadlineMs: read.integer('ENGRAM_AGENT_DEADLINE_SECONDS', 600, 5, 3600) * 1000,
    shutdownGraceMs: read.integer('ENGRAM_AGENT_SHUTDOWN_GRACE_SECONDS', 30, 0, 3600) * 1000,
    tokenBudget: read.integer('ENGRAM_AGENT_TOKEN_BUDGET', 500_000, 1000, 10_000_000),
    keepTranscripts: read.boolean('ENGRAM_AGENT_KEEP_TRANSCRIPTS', false),
    redactPatterns: readRedactPatterns(read),
  };
}

function readEndpoint(read: EnvReader): Pick<AgentConfig, 'baseUrl' | 'apiKey' | 'provider'> {
  const baseUrl = read.url('ENGRAM_AGENT_BASE_URL');
  const key = read.raw('ENGRAM_AGENT_API_KEY') ?? read.raw('VLLM_API_KEY', 'LITELLM_API_KEY');
  if (baseUrl) return { baseUrl, apiKey: key, provider: 'openai_compatible' };
  const vllmHost = read.raw('VLLM_HOST');
  const vllmPort = read.integer('VLLM_PORT', 8000, 1, 65535);
  if (vllmHost) {
    // The reference builds http://{VLLM_HOST}:{VLLM_PORT}/v1; a scheme or port in VLLM_HOST is kept.
    const scheme = vllmHost.startsWith('https://') ? 'https' : 'http';
    const host = vllmHost.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    const baseUrl = `${scheme}://${/:\d+$/.test(host) ? host : `${host}:${vllmPort}`}/v1`;
    if (!URL.canParse(baseUrl))
      read.errors.push(`VLLM_HOST=${shownUrlSetting(vllmHost)} is not accepted; expected a host name or address`);
    return { baseUrl, apiKey: key, provider: 'vllm' };
  }
  const openRouterKey = read.raw('OPENROUTER_API_KEY');
  if (openRouterKey) return { baseUrl: OPENROUTER_BASE_URL, apiKey: openRouterKey, provider: 'openrouter' };
  return { provider: 'none' };
}

/**
 * The second endpoint of the "hybrid" deployment: asked when the primary answers 5xx, refuses the
 * connection or times out. `openrouter` stands for OpenRouter's URL, with OPENROUTER_API_KEY as its key.
 */
function readFallback(read: EnvReader, primary: AgentProvider, model: string): AgentFallbackConfig | undefined {
  const raw = read.raw('ENGRAM_AGENT_FALLBACK_BASE_URL');
  const apiKey = read.raw('ENGRAM_AGENT_FALLBACK_API_KEY');
  const namedModel = read.raw('ENGRAM_AGENT_FALLBACK_MODEL');
  const fallbackModel = namedModel ?? model;
  if (raw === undefined) {
    const set = [
      ...(apiKey === undefined ? [] : ['ENGRAM_AGENT_FALLBACK_API_KEY']),
      ...(namedModel === undefined ? [] : ['ENGRAM_AGENT_FALLBACK_MODEL']),
    ];
    if (set.length > 0)
      read.errors.push(
        `${set.join(' and ')} ${set.length > 1 ? 'are' : 'is'} set but ENGRAM_AGENT_FALLBACK_BASE_URL is not`,
      );
    return undefined;
  }
  if (primary === 'none') {
    read.errors.push('ENGRAM_AGENT_FALLBACK_BASE_URL needs a primary endpoint (VLLM_HOST or ENGRAM_AGENT_BASE_URL)');
    return undefined;
  }
  if (raw.toLowerCase() === 'openrouter') {
    const key = apiKey ?? read.raw('OPENROUTER_API_KEY');
    if (key === undefined)
      read.errors.push(
        'ENGRAM_AGENT_FALLBACK_BASE_URL=openrouter needs ENGRAM_AGENT_FALLBACK_API_KEY or OPENROUTER_API_KEY',
      );
    return { baseUrl: OPENROUTER_BASE_URL, apiKey: key, provider: 'openrouter', model: fallbackModel };
  }
  const baseUrl = read.url('ENGRAM_AGENT_FALLBACK_BASE_URL');
  return baseUrl === undefined ? undefined : { baseUrl, apiKey, provider: 'openai_compatible', model: fallbackModel };
}

/** A JSON array of regular expressions (JavaScript syntax, matched case-insensitively). */
function readRedactPatterns(read: EnvReader): string[] {
  const raw = read.raw('ENGRAM_AGENT_REDACT_PATTERNS');
  if (raw === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) {
    read.errors.push('ENGRAM_AGENT_REDACT_PATTERNS is not accepted; expected a JSON array of regular expressions');
    return [];
  }
  return parsed.filter((pattern, index) => {
    try {
      new RegExp(pattern, 'giu');
      return true;
    } catch {
      read.errors.push(`ENGRAM_AGENT_REDACT_PATTERNS[${index}] is not a valid regular expression`);
      return false;
    }
  });
}

export function readSandboxConfig(read: EnvReader): SandboxConfig {
  return {
    mode: read.oneOf('ENGRAM_SANDBOX_MODE', ['auto', 'bwrap', 'landlock'] as const, 'auto'),
    python: read.string('ENGRAM_SANDBOX_PYTHON', '/usr/bin/python3'),
    timeoutMs: read.integer('ENGRAM_SANDBOX_TIMEOUT_SECONDS', 20, 1, 600) * 1000,
    memoryBytes: read.integer('ENGRAM_SANDBOX_MEMORY_MB', 256, 64, 16_384) * 1024 * 1024,
  };
}
