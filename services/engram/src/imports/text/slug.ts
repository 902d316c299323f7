/**
 * A file-name part in the memory directory's convention: snake_case ASCII letters and digits
 * (accents folded, everything else an underscore), never empty, at most `max` characters.
 */
export function slugify(text: string, fallback = 'untitled', max = 60): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, max)
    .replace(/_+$/g, '');
  return slug === '' ? fallback : slug;
}

/** `YYYY_MM_DD` of an epoch-ms time, for file names that sort by date. */
export function dateSlug(epochMs: number | undefined): string | undefined {
  if (epochMs === undefined || !Number.isFinite(epochMs)) return undefined;
  return new Date(epochMs).toISOString().slice(0, 10).replace(/-/g, '_');
}

/** `YYYY-MM-DD` of an epoch-ms time, as the memory directory writes dates. */
export function isoDate(epochMs: number | undefined): string | undefined {
  if (epochMs === undefined || !Number.isFinite(epochMs)) return undefined;
  return new Date(epochMs).toISOString().slice(0, 10);
}
