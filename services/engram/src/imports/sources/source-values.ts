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

/** Titles in failures are cut here: enough to find the item in its export. */
const TITLE_CHARS = 60;

/**
 * What names an item in a failure besides its position: the first of `keys` holding text (its title, its
 * id), on one line and cut short; undefined when the item has none (or is not an object).
 */
export function itemTitle(item: unknown, keys: readonly string[]): string | undefined {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return undefined;
  for (const key of keys) {
    const value = Object.hasOwn(item, key) ? textOf((item as Record<string, unknown>)[key]) : undefined;
    if (value === undefined) continue;
    const line = value
      .slice(0, TITLE_CHARS * 2)
      .replace(/\s+/g, ' ')
      .trim();
    return line.length > TITLE_CHARS ? `${line.slice(0, TITLE_CHARS)}…` : line;
  }
  return undefined;
}

/** Trimmed text, or undefined for blanks and non-strings. */
export function textOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}
