import { ChatMessage } from '../agent/chat-completions.repository';
import { AgentModelFailed } from '../agent/agent.errors';
import { HarvestCandidate, HarvestCandidateInput } from './harvest.dto';

/** The instruction the chat model gets: durable facts only, as a JSON array we can check. */
export function harvestMessages(transcript: string, maxCandidates: number): ChatMessage[] {
  return [
    {
      role: 'system',
      content:
        'You read a conversation and pick out what is worth remembering for later conversations: facts about ' +
        'the people and their projects, preferences, decisions and their reasons, commitments and dates. Skip ' +
        'greetings, small talk and anything only true for this conversation. Write each memory as one short, ' +
        'self-contained sentence that names its subject (no "he", "this", "the above"). Answer with only a JSON ' +
        `array of at most ${maxCandidates} objects {"content": string, "memory_type": one of "fact", ` +
        '"preference", "decision", "task", "note", "tags": [lower-case words]}. Answer [] when nothing qualifies.',
    },
    { role: 'user', content: transcript },
  ];
}

/**
 * The candidates in the model's answer: the JSON array after any thoughts (`</think>`), each item checked;
 * items that fail the check are dropped and counted. An answer with no JSON array is the model's failure.
 */
export function parseHarvestAnswer(
  text: string,
  maxCandidates: number,
): { candidates: HarvestCandidateInput[]; rejected: number } {
  const thoughtsEnd = text.lastIndexOf('</think>');
  const answer = thoughtsEnd < 0 ? text : text.slice(thoughtsEnd + '</think>'.length);
  const start = answer.indexOf('[');
  const end = answer.lastIndexOf(']');
  let items: unknown;
  try {
    items = start >= 0 && end > start ? JSON.parse(answer.slice(start, end + 1)) : undefined;
  } catch {
    items = undefined;
  }
  if (!Array.isArray(items)) {
    throw new AgentModelFailed('The chat model did not answer with a JSON array of memories; nothing was harvested');
  }
  const candidates: HarvestCandidateInput[] = [];
  let rejected = 0;
  for (const item of items) {
    const parsed = HarvestCandidate.safeParse(item);
    if (parsed.success && candidates.length < maxCandidates) candidates.push(parsed.data);
    else rejected += 1;
  }
  return { candidates, rejected };
}
