import { ChatMessage, Completion } from './chat-completions.repository';
import { parseAgentTurn, trimAfterLastTag } from './agent-response.parser';
import { formatErrorObservation } from './observation';
import { traced } from '../tracing/spans';
import { counted } from '../common/counted';

export interface AgentLoopSteps {
  complete(messages: readonly ChatMessage[], signal: AbortSignal): Promise<Completion>;
  /** Runs one code block and returns the `<result>` message for the model. */
  runCode(code: string): Promise<string>;
  /** Called before each model call, with the number of the call (1-based) and the most there can be. */
  onModelCall?(call: number, maxCalls: number): void | Promise<void>;
}

export interface AgentLoopLimits {
  maxToolTurns: number;
  deadlineMs: number;
  tokenBudget: number;
}

export type AgentLoopOutcome =
  | { outcome: 'replied'; reply: string; turns: number; transcript: ChatMessage[] }
  | {
      outcome: 'budget_exhausted' | 'deadline' | 'token_budget';
      message: string;
      turns: number;
      transcript: ChatMessage[];
    };

/**
 * The mem-agent loop (reference §4): the question goes in as the user message, each completion is
 * sent back raw (cut after its last closing tag), its code runs and the result returns as the next
 * user message, until a reply. At most `maxToolTurns` turns after the first call; a wall-clock
 * deadline and a token budget bound the whole question. Running out is an explicit outcome, never an
 * empty reply.
 */
export async function runAgentLoop(
  systemPrompt: string,
  question: string,
  steps: AgentLoopSteps,
  limits: AgentLoopLimits,
  signal?: AbortSignal,
): Promise<AgentLoopOutcome> {
  const messages: ChatMessage[] = [
    { role: 'system', content: systemPrompt },
    { role: 'user', content: question },
  ];
  const deadline = AbortSignal.timeout(limits.deadlineMs);
  const stop = signal ? AbortSignal.any([signal, deadline]) : deadline;
  const maxCalls = limits.maxToolTurns + 1;
  let tokens = 0;
  for (let call = 1; call <= maxCalls; call += 1) {
    // Each turn (a model call and the code it asked for) is one span, parent of both.
    const outcome = await traced('agent.turn', { 'engram.agent.turn': call }, () => takeTurn(call));
    if (outcome) return outcome;
  }
  return ended(
    'budget_exhausted',
    `turn budget exhausted: ${counted(maxCalls, 'model call', 'model calls')} without a reply`,
    maxCalls,
  );

  /** One turn; resolves with the outcome when the question ends here. */
  async function takeTurn(call: number): Promise<AgentLoopOutcome | undefined> {
    signal?.throwIfAborted();
    if (deadline.aborted) return ended('deadline', `the ${limits.deadlineMs / 1000}-second deadline passed`, call - 1);
    await steps.onModelCall?.(call, maxCalls);
    let completion: Completion;
    try {
      completion = await steps.complete(messages, stop);
    } catch (error) {
      if (deadline.aborted && !signal?.aborted) {
        return ended('deadline', `the ${limits.deadlineMs / 1000}-second deadline passed`, call);
      }
      throw error;
    }
    tokens += completion.promptTokens + completion.completionTokens;
    messages.push({ role: 'assistant', content: trimAfterLastTag(completion.text) });
    const turn = parseAgentTurn(completion.text);
    if (turn.kind === 'reply') return { outcome: 'replied', reply: turn.reply, turns: call, transcript: messages };
    const observation = turn.kind === 'code' ? await steps.runCode(turn.code) : formatErrorObservation(turn.problem);
    messages.push({ role: 'user', content: observation });
    if (tokens > limits.tokenBudget) {
      return ended('token_budget', `the budget of ${limits.tokenBudget} tokens was spent`, call);
    }
    return undefined;
  }

  function ended(outcome: 'budget_exhausted' | 'deadline' | 'token_budget', message: string, turns: number) {
    return { outcome, message, turns, transcript: messages };
  }
}
