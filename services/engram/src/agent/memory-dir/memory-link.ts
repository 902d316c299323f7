import { posix } from 'node:path';

/**
 * The file paths a link may mean, most likely first. Accepts `[[entities/jane_doe.md]]` (the trained
 * form), a bare path, `[[path|alias]]`, `[[path#heading]]`, a missing `.md`, and links written
 * relative to a note (`../user.md`, `./acme.md`), which are tried from the root and from `entities/`.
 */
export function linkCandidates(link: string): string[] {
  let target = link.trim();
  const wiki = /^\[\[(.*)\]\]$/s.exec(target);
  if (wiki) target = wiki[1];
  target = target.split('|')[0].split('#')[0].trim();
  if (target === '') return [];
  const withExtension = (path: string) => (path.endsWith('.md') ? path : `${path}.md`);
  const candidates = [withExtension(target)];
  if (target.startsWith('./') || target.startsWith('../')) {
    const fromRoot = target.replace(/^(\.\.?\/)+/, '');
    candidates.push(withExtension(fromRoot), withExtension(posix.join('entities', fromRoot)));
  }
  return [...new Set(candidates)];
}

/** For a bare name (`[[jane_doe]]`, a form the model sometimes writes), the file name to look for anywhere. */
export function bareLinkName(link: string): string | undefined {
  const [first] = linkCandidates(link);
  return first !== undefined && !first.includes('/') ? first : undefined;
}

/** The `[[…]]` links of a note, in order (a link is one line of at most 300 characters). */
export function wikiLinksIn(text: string): string[] {
  return [...text.matchAll(/\[\[([^[\]\n]{1,300})\]\]/g)].map((match) => match[0]);
}

/** Resolves links against a known set of files, as go_to_link does against the folder. */
export class LinkResolver {
  private readonly byName = new Map<string, string[]>();

  constructor(private readonly files: ReadonlySet<string>) {
    for (const path of files) {
      const name = path.split('/').pop()!;
      this.byName.set(name, [...(this.byName.get(name) ?? []), path]);
    }
  }

  /** The file a link leads to, or undefined when none (or, for a bare name, more than one) matches. */
  resolve(link: string): string | undefined {
    const direct = linkCandidates(link).find((candidate) => this.files.has(candidate));
    if (direct !== undefined) return direct;
    const bare = bareLinkName(link);
    const matches = bare === undefined ? [] : (this.byName.get(bare) ?? []);
    return matches.length === 1 ? matches[0] : undefined;
  }
}
