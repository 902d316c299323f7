/**
 * Epoch milliseconds of an ISO 8601 date or date-time (`2024-05-01`, `2024-05-01T10:00:00Z`), or NaN
 * when the text is not one. A day the calendar lacks (`2020-02-30`) is NaN too: Date.parse would roll
 * it over into the next month without a word.
 */
export function isoDateMs(text: string): number {
  const day = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (!day) return Number.NaN;
  const [year, month, date] = day.slice(1).map(Number);
  const probe = new Date(0);
  probe.setUTCFullYear(year, month - 1, date);
  const exists = probe.getUTCFullYear() === year && probe.getUTCMonth() === month - 1 && probe.getUTCDate() === date;
  return exists ? Date.parse(text) : Number.NaN;
}
