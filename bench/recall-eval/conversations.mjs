/**
 * Reads a LoCoMo sample into what Engram indexes and what it is asked. Only shapes the data in memory:
 * nothing from the dataset is ever written to disk (its licence forbids redistribution).
 */
import { normaliseDiaIds } from './scoring.mjs';

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

/** "1:56 pm on 8 May, 2023" → "2023-05-08T13:56:00.000Z" (the dataset gives no zone; UTC keeps it stable). */
export function parseSessionDate(text) {
  const match = /(\d{1,2}):(\d{2})\s*(am|pm)\s+on\s+(\d{1,2})\s+([a-z]+),?\s+(\d{4})/i.exec(text ?? '');
  if (!match) return undefined;
  const [, hour, minute, half, day, monthName, year] = match;
  const month = MONTHS.findIndex((name) => name.startsWith(monthName.toLowerCase().slice(0, 3)));
  if (month === -1) return undefined;
  const hour24 = (Number(hour) % 12) + (half.toLowerCase() === 'pm' ? 12 : 0);
  return new Date(Date.UTC(Number(year), month, Number(day), hour24, Number(minute))).toISOString();
}

/** Session numbers present in a conversation, ascending. */
function sessionNumbers(conversation) {
  return Object.keys(conversation)
    .map((key) => /^session_(\d+)$/.exec(key)?.[1])
    .filter(Boolean)
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * The documents to index for one sample: `{ content, createdAt, diaIds }`.
 * `observations`: every observation fact, crediting each dia_id it carries.
 * `turns`: every dialogue turn as "<speaker>: <text>".
 */
export function documentsOf(sample, mode) {
  const { conversation } = sample;
  const documents = [];
  for (const session of sessionNumbers(conversation)) {
    const createdAt = parseSessionDate(conversation[`session_${session}_date_time`]);
    if (mode === 'turns') {
      for (const turn of conversation[`session_${session}`] ?? []) {
        if (!turn.text?.trim()) continue;
        documents.push({ content: `${turn.speaker}: ${turn.text}`, createdAt, diaIds: normaliseDiaIds(turn.dia_id) });
      }
      continue;
    }
    const bySpeaker = sample.observation?.[`session_${session}_observation`] ?? {};
    for (const facts of Object.values(bySpeaker)) {
      for (const [fact, ids] of facts) {
        if (typeof fact !== 'string' || !fact.trim()) continue;
        documents.push({ content: fact, createdAt, diaIds: normaliseDiaIds(ids) });
      }
    }
  }
  return documents;
}

/** Questions with their normalised evidence; those without evidence are kept out (they cannot be scored). */
export function questionsOf(sample) {
  return sample.qa
    .map((qa) => ({ question: String(qa.question), category: qa.category, evidence: normaliseDiaIds(qa.evidence) }))
    .filter((qa) => qa.evidence.length > 0);
}
