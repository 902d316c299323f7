import { AgentConfig, ConflictJudgeConfig } from './config.types';
import { EnvReader, shownUrlSetting } from './env-reader';

const JUDGE = 'ENGRAM_CONFLICTS_JUDGE_URL';
/** Settings that mean nothing without ENGRAM_CONFLICTS_JUDGE_URL. */
const DEPENDENT = [
  '_MODEL',
  '_API_KEY',
  '_API_KEY_FILE',
  '_TIMEOUT_MS',
  '_CONCURRENCY',
  '_MAX_WAITING_PER_NAMESPACE',
].map((suffix) => `ENGRAM_CONFLICTS_JUDGE${suffix}`);

/**
 * The optional LLM judge of contradiction review: ENGRAM_CONFLICTS_JUDGE_URL is an OpenAI-compatible base
 * URL (…/v1) with ENGRAM_CONFLICTS_JUDGE_MODEL, or `agent` for the memory agent's endpoint, key and model
 * (AGENT_MODEL unless _MODEL names another). Unset or `off`: no judge, the CPU detector alone proposes.
 */
export function readConflictJudgeConfig(read: EnvReader, agent: AgentConfig): ConflictJudgeConfig | undefined {
  const setting = read.raw('ENGRAM_CONFLICTS_JUDGE_URL');
  const timeoutMs = read.integer('ENGRAM_CONFLICTS_JUDGE_TIMEOUT_MS', 15_000, 100, 600_000);
  const concurrency = read.integer('ENGRAM_CONFLICTS_JUDGE_CONCURRENCY', 2, 1, 32);
  const maxWaitingPerNamespace = read.integer('ENGRAM_CONFLICTS_JUDGE_MAX_WAITING_PER_NAMESPACE', 16, 1, 10_000);
  const model = read.raw('ENGRAM_CONFLICTS_JUDGE_MODEL');
  const key = read.secret('ENGRAM_CONFLICTS_JUDGE_API_KEY');
  if (setting === undefined || setting.toLowerCase() === 'off') {
    const stray = DEPENDENT.filter((name) => read.raw(name) !== undefined);
    if (stray.length > 0) read.errors.push(`${stray.join(', ')} set but ${JUDGE} is not (a URL, or agent)`);
    return undefined;
  }
  if (setting.toLowerCase() === 'agent') {
    if (agent.baseUrl === undefined) {
      read.errors.push(
        `${JUDGE}=agent needs the agent's endpoint: set ENGRAM_AGENT_BASE_URL, VLLM_HOST or OPENROUTER_API_KEY`,
      );
      return undefined;
    }
    if (key.given) {
      read.errors.push(`${JUDGE}=agent uses the agent's API key; unset ENGRAM_CONFLICTS_JUDGE_API_KEY(_FILE)`);
    }
    const { baseUrl, apiKey, provider } = agent;
    return { baseUrl, apiKey, provider, model: model ?? agent.model, timeoutMs, concurrency, maxWaitingPerNamespace };
  }
  if (!/^https?:\/\//i.test(setting) || !URL.canParse(setting)) {
    read.errors.push(
      `${JUDGE}=${shownUrlSetting(setting)} is not accepted; expected off, agent, or an http:// or https:// URL`,
    );
    return undefined;
  }
  const baseUrl = setting.replace(/\/+$/, '');
  if (model === undefined) {
    read.errors.push(`${JUDGE} needs ENGRAM_CONFLICTS_JUDGE_MODEL: the model name the endpoint serves`);
    return undefined;
  }
  return {
    baseUrl,
    apiKey: key.value,
    provider: 'openai_compatible',
    model,
    timeoutMs,
    concurrency,
    maxWaitingPerNamespace,
  };
}
