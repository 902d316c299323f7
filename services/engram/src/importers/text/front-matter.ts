/** What a note's YAML front matter says, in the subset notes use: scalars and lists of scalars. */
export type FrontMatter = Record<string, string | string[]>;

const FENCE = /^---[ \t]*\r?\n([\s\S]*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/;

/**
 * Splits `---` front matter from a note. Reads `key: value`, `key: [a, b]` and block lists
 * (`key:` then `- a` lines); anything fancier (nested maps, multi-line strings) is kept as text under
 * its key rather than failing the note. A block that does not close is not front matter.
 */
export function splitFrontMatter(text: string): { data: FrontMatter; body: string } {
  const match = FENCE.exec(text);
  if (!match) return { data: {}, body: text };
  return { data: parseBlock(match[1]), body: text.slice(match[0].length) };
}

function parseBlock(block: string): FrontMatter {
  const data: FrontMatter = {};
  let listKey: string | undefined;
  for (const line of block.split(/\r?\n/)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const item = /^\s*-\s+(.*)$/.exec(line);
    if (item && listKey !== undefined) {
      const list = data[listKey];
      data[listKey] = [...(Array.isArray(list) ? list : []), unquote(item[1])];
      continue;
    }
    const pair = /^([A-Za-z0-9_][\w .-]*?)\s*:\s*(.*)$/.exec(line);
    if (!pair || /^\s/.test(line)) {
      if (listKey !== undefined && typeof data[listKey] === 'string') data[listKey] += ` ${line.trim()}`;
      continue;
    }
    const [, key, raw] = pair;
    listKey = key;
    const value = raw.trim();
    if (value === '') data[key] = [];
    else if (value.startsWith('[') && value.endsWith(']')) {
      data[key] = value
        .slice(1, -1)
        .split(',')
        .map(unquote)
        .filter((entry) => entry !== '');
    } else data[key] = unquote(value);
  }
  return data;
}

function unquote(value: string): string {
  const trimmed = value.trim();
  if (/^(["']).*\1$/.test(trimmed)) return trimmed.slice(1, -1);
  return trimmed;
}

/** The values of a front matter key as a list (`tags: a, b` and `tags: [a, b]` alike). */
export function listOf(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : value.split(',');
  return list.map((entry) => entry.trim().replace(/^#/, '')).filter((entry) => entry !== '');
}
