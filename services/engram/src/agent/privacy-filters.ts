import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The memory root's own privacy rules: one `- <rule>` per line, as in the reference harness. */
export const FILTERS_FILE = '.filters';
const REDACTED = '[redacted]';

/**
 * Deterministic patterns applied after the model when a filter speaks of their subject: the model
 * is told the rules, and these make sure the most common leaks never leave the service anyway. Each
 * runs in linear time on any reply: a match may start only where a run of its characters starts (the
 * look-behinds), and no two adjacent quantifiers can share a character, so a failed attempt costs at
 * most one pass over its run.
 */
const TOPIC_PATTERNS: { topic: RegExp; pattern: RegExp }[] = [
  { topic: /e-?mails?\b|email address/i, pattern: /(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g },
  { topic: /phone|telephone|mobile|cell number|contact number/i, pattern: /(?<![\d+])\+?\d[\d ().-]{6,}\d/g },
  {
    topic: /\bages?\b|how old|birth ?(?:day|date|year)|date of birth/i,
    pattern:
      /\b\d{1,3}[\s-]*(?:years?|yrs?)[\s-]*old\b|\baged?\s*(?::\s*)?\d{1,3}\b|\b\d{4}-\d{2}-\d{2}\b|\b(?:19|20)\d{2}\b/gi,
  },
];

export async function readFiltersFile(root: string): Promise<string[]> {
  try {
    return parseRules(await readFile(join(root, FILTERS_FILE), 'utf8'));
  } catch {
    return [];
  }
}

export function parseRules(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/^\s*(?:[-*]|\d+[.)])\s*/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** The question as the model receives it: the filter block appended as in training, when there are rules. */
export function questionWithFilters(question: string, rules: readonly string[]): string {
  if (rules.length === 0) return question;
  return `${question}\n\n<filter>\n${rules.map((rule) => `- ${rule}`).join('\n')}\n</filter>`;
}

/** Removes from the reply what the rules and the configured patterns forbid; counts what went. */
export function redactReply(
  reply: string,
  rules: readonly string[],
  configured: readonly string[],
): { reply: string; redactions: number } {
  const patterns = [
    ...TOPIC_PATTERNS.filter(({ topic }) => rules.some((rule) => topic.test(rule))).map(({ pattern }) => pattern),
    ...configured.map((source) => new RegExp(source, 'giu')),
  ];
  let redactions = 0;
  let text = reply;
  for (const pattern of patterns) {
    text = text.replace(pattern, () => {
      redactions += 1;
      return REDACTED;
    });
  }
  return { reply: text, redactions };
}
