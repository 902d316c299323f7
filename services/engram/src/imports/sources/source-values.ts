import { z } from 'zod';

/** The latest instant a Date holds; a later time is as unreadable as a malformed one. */
const MAX_EPOCH_MS = 8.64e15;

/** Epoch milliseconds from epoch seconds (exports use float seconds), epoch ms, or an ISO 8601 string. */
export function epochMs(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
    const ms = value < 1e11 ? Math.round(value * 1000) : Math.round(value);
    return ms <= MAX_EPOCH_MS ? ms : undefined;
  }
  if (typeof value === 'string' && value.trim() !== '') {
    if (/^\d+(\.\d+)?$/.test(value.trim())) return epochMs(Number(value));
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

/** The first problem zod found, as one readable line ("mapping: expected object"). */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const path = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return `${path}${issue.message}`;
}

/** Trimmed text, or undefined for blanks and non-strings. */
export function textOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}
