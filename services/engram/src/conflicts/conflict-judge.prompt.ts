import { ChatMessage } from '../agent/chat-completions.repository';
import { JudgeVerdict } from '../storage/conflict.store';

/** The verdicts the judge may give; `unavailable` is ours, never the model's. */
const MODEL_VERDICTS: readonly Exclude<JudgeVerdict, 'unavailable'>[] = [
  'contradiction',
  'update',
  'compatible',
  'unrelated',
];
const MAX_REASON_CHARS = 300;

/** Short and closed: one pair, four verdicts defined in a line each, a JSON object back. */
export function judgeMessages(older: string, newer: string): ChatMessage[] {
  return [
    {
      role: 'system',
      content:
        'You check two statements kept in a memory store. The older one was stored first. Decide whether both ' +
        'can be true now. Answer with only a JSON object {"verdict": V, "reason": "one short sentence"}, V one of:\n' +
        '"contradiction": they say incompatible things about the same subject;\n' +
        '"update": the newer one replaces what the older one said about the same subject (something changed);\n' +
        '"compatible": the same subject, and both can hold (a detail added, the same fact said again);\n' +
        '"unrelated": they are about different subjects.',
    },
    { role: 'user', content: `Older: ${oneLine(older)}\nNewer: ${oneLine(newer)}` },
  ];
}

export interface JudgeAnswer {
  verdict: Exclude<JudgeVerdict, 'unavailable'>;
  reason?: string;
}

/**
 * The verdict in a model's answer: the JSON object after any thoughts (`</think>`), or failing that a
 * `"verdict": "…"` field in what looks like broken JSON. Undefined when the answer holds no known verdict.
 */
export function parseJudgeAnswer(text: string): JudgeAnswer | undefined {
  const thoughtsEnd = text.lastIndexOf('</think>');
  const answer = thoughtsEnd < 0 ? text : text.slice(thoughtsEnd + '</think>'.length);
  const object = jsonObjectIn(answer);
  const verdict = String(object?.verdict ?? /"verdict"\s*:\s*"([a-z]+)"/i.exec(answer)?.[1] ?? '')
    .trim()
    .toLowerCase();
  const known = MODEL_VERDICTS.find((candidate) => candidate === verdict);
  if (!known) return undefined;
  const reason = typeof object?.reason === 'string' ? object.reason.trim().slice(0, MAX_REASON_CHARS) : '';
  return reason ? { verdict: known, reason } : { verdict: known };
}

function jsonObjectIn(text: string): Record<string, unknown> | undefined {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end <= start) return undefined;
  try {
    const parsed: unknown = JSON.parse(text.slice(start, end + 1));
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A statement on one line, so a newline inside it cannot pass for the next field of the prompt. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
