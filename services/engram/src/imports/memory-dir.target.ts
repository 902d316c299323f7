import { MemoryDirectoryRepository } from '../agent/memory-dir/memory-directory.repository';
import { EntryMissing, LimitExceeded, PathRefused } from '../storage/agent-file.rules';
import { ConversationTurn, ImportDocument, Importer } from './imports.types';
import { dateSlug, isoDate, slugify } from './text/slug';

/** Leaves room under the directory's 1 MiB file limit for the header lines. */
const MAX_BODY_BYTES = 1000 * 1024;
const ROLE_NAMES: Record<string, string> = { user: 'User', assistant: 'Assistant' };
/**
 * The agent's own protocol tags: imported text must not be able to speak them to the model. Plain
 * tags read as `‹python›`; any other spelling (`< /python >`, `<python x>`, unclosed) loses its `<`.
 */
const PROTOCOL_NAMES = 'think|python|reply|result|filter';
const PROTOCOL_TAG = new RegExp(`<(\\/?)(${PROTOCOL_NAMES})>`, 'gi');
const PROTOCOL_TAG_START = new RegExp(`<(?=\\s*\\/?\\s*(?:${PROTOCOL_NAMES})\\b)`, 'gi');

export interface MemoryDirOutcome {
  /** Files written (or, in a dry run, that would be), relative to the memory root. */
  files: string[];
  failures: { item: string; reason: string }[];
}

/**
 * Writes imported documents into the agent's markdown memory in the layout mem-agent was trained on:
 * one file per conversation, page or document under `entities/<source folder>/`, an `index.md` there
 * linking them all, and a line in `user.md` linking the index; graph entities become `entities/<name>.md`
 * with their relations linked both ways. Links are full paths from the root (`[[entities/x.md]]`);
 * names are snake_case and unique; writes go through the memory directory repository (limits,
 * atomic renames). The same export written again gives the same files.
 */
export class MemoryDirTarget {
  private readonly taken = new Map<string, string>();
  private readonly written: { path: string; title: string; date?: string }[] = [];
  private readonly relations = new Map<string, string[]>();
  private readonly failures: { item: string; reason: string }[] = [];

  constructor(
    private readonly directory: MemoryDirectoryRepository,
    private readonly importer: Pick<Importer, 'label'> & { memoryDirFolder: string },
    private readonly dryRun: boolean,
  ) {}

  get folder(): string {
    return `entities/${this.importer.memoryDirFolder}`;
  }

  async add(document: ImportDocument): Promise<void> {
    if (document.body.kind === 'relation') {
      const { from, to, relationType } = document.body;
      this.relate(from, `- **${imported(relationType)}**: [[${entityPath(to)}]]`);
      this.relate(to, `- **${imported(relationType)} (from)**: [[${entityPath(from)}]]`);
      return;
    }
    const path = this.uniquePath(this.pathOf(document), document.originalId);
    await this.write(path, render(document, this.importer.label), `${document.file}: ${document.title}`);
    this.written.push({ path, title: document.title, date: isoDate(document.createdAt) });
  }

  /** Relations, the index and the link from user.md; returns every file written. */
  async finish(): Promise<MemoryDirOutcome> {
    for (const [entity, lines] of this.relations) await this.addRelations(entity, lines);
    const index = `${this.folder}/index.md`;
    await this.write(index, await this.indexText(index), index);
    await this.linkFromUserFile(index);
    return { files: [...this.written.map((file) => file.path), index, 'user.md'], failures: this.failures };
  }

  private pathOf(document: ImportDocument): string {
    const title = slugify(document.title);
    switch (document.body.kind) {
      case 'conversation':
        return `${this.folder}/conversations/${[dateSlug(document.createdAt), title].filter(Boolean).join('_')}.md`;
      case 'entity':
        return entityPath(document.body.name);
      default: {
        const folders = (document.folder ?? '')
          .split('/')
          .filter(Boolean)
          .map((segment) => slugify(segment));
        return [this.folder, ...folders, `${title}.md`].join('/');
      }
    }
  }

  /** The same document keeps its name on a re-import; another one with the same name gets `_2`, `_3`… */
  private uniquePath(path: string, originalId: string): string {
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? path : path.replace(/\.md$/, `_${n}.md`);
      const owner = this.taken.get(candidate);
      if (owner === undefined || owner === originalId) {
        this.taken.set(candidate, originalId);
        return candidate;
      }
    }
  }

  private relate(entity: string, line: string): void {
    const lines = this.relations.get(entity) ?? [];
    if (!lines.includes(line)) lines.push(line);
    this.relations.set(entity, lines);
  }

  private async addRelations(entity: string, lines: string[]): Promise<void> {
    const path = entityPath(entity);
    const existing = (await this.readIfPresent(path)) ?? `# ${imported(entity)}\n`;
    const missing = lines.filter((line) => !existing.includes(line));
    if (missing.length === 0) return;
    const text = existing.includes('\n## Relations\n')
      ? existing.replace('\n## Relations\n', `\n## Relations\n${missing.join('\n')}\n`)
      : `${existing.trimEnd()}\n\n## Relations\n${missing.join('\n')}\n`;
    await this.write(path, text, `relations of ${entity}`);
    if (!this.written.some((file) => file.path === path)) this.written.push({ path, title: entity });
  }

  /** Links from an earlier import stay: the index lists both. */
  private async indexText(index: string): Promise<string> {
    const previous = ((await this.readIfPresent(index)) ?? '').split('\n').filter((line) => line.startsWith('- [['));
    const lines = this.written
      .filter((file) => file.path !== index)
      .map((file) => `- [[${file.path}]] ${imported(file.title)}${file.date ? ` (${file.date})` : ''}`);
    const merged = [...new Set([...previous, ...lines])].sort();
    return [
      `# ${title(this.importer.memoryDirFolder)}`,
      '',
      `Imported from: ${this.importer.label}.`,
      '',
      '## Files',
      ...merged,
      '',
    ].join('\n');
  }

  private async linkFromUserFile(index: string): Promise<void> {
    const line = `- **${title(this.importer.memoryDirFolder)}**: [[${index}]]`;
    const current = await this.readIfPresent('user.md');
    if (current?.includes(`[[${index}]]`)) return;
    let text: string;
    if (current === undefined) text = `# User Information\n\n## Imported sources\n${line}\n`;
    else if (current.includes('\n## Imported sources\n'))
      text = current.replace('\n## Imported sources\n', `\n## Imported sources\n${line}\n`);
    else text = `${current.trimEnd()}\n\n## Imported sources\n${line}\n`;
    await this.write('user.md', text, 'user.md');
  }

  private async write(path: string, text: string, item: string): Promise<void> {
    if (this.dryRun) return;
    try {
      await this.directory.writeText(this.directory.resolve(path), text);
    } catch (error) {
      if (!(error instanceof LimitExceeded || error instanceof PathRefused || error instanceof EntryMissing))
        throw error;
      this.failures.push({ item, reason: `memory directory: ${error.message}` });
    }
  }

  private async readIfPresent(path: string): Promise<string | undefined> {
    try {
      return await this.directory.readText(this.directory.resolve(path));
    } catch {
      return undefined;
    }
  }
}

function entityPath(name: string): string {
  return `entities/${slugify(name)}.md`;
}

function title(folder: string): string {
  const words = folder.split('_').join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function render(document: ImportDocument, sourceLabel: string): string {
  const facts = [
    `- source: ${sourceLabel}`,
    `- original_id: ${imported(document.originalId)}`,
    ...(document.createdAt ? [`- date: ${isoDate(document.createdAt)}`] : []),
    `- file: ${imported(document.file)}`,
    ...(document.tags.length > 0 ? [`- tags: ${document.tags.map(imported).join(', ')}`] : []),
  ];
  const body = cap(defang(bodyText(document)));
  return `# ${imported(document.title)}\n\n${facts.join('\n')}\n\n${body}\n`;
}

function bodyText({ body }: ImportDocument): string {
  switch (body.kind) {
    case 'conversation':
      return ['## Conversation', ...body.turns.map(turnText)].join('\n\n');
    case 'entity':
      return [
        `- type: ${oneLine(body.entityType)}`,
        '',
        '## Observations',
        ...body.observations.map((line) => `- ${oneLine(line)}`),
      ].join('\n');
    case 'text':
    case 'record':
      return `## Content\n\n${body.text.trim()}`;
    case 'relation':
      return '';
  }
}

function turnText(turn: ConversationTurn): string {
  const who = ROLE_NAMES[turn.role] ?? imported(turn.role);
  const when = turn.createdAt ? ` (${isoDate(turn.createdAt)})` : '';
  return `**${who}**${when}:\n${turn.text.trim()}`;
}

/** Imported text may quote the agent protocol; it must stay text to the model, never a turn marker. */
function defang(text: string): string {
  return text
    .replace(PROTOCOL_TAG, (_tag, slash: string, name: string) => `‹${slash}${name}›`)
    .replace(PROTOCOL_TAG_START, '‹');
}

/** A title, id, name, tag or file name from the export, as one defanged line. */
function imported(text: string): string {
  return defang(oneLine(text));
}

function cap(text: string): string {
  if (Buffer.byteLength(text, 'utf8') <= MAX_BODY_BYTES) return text;
  const cut = Buffer.from(text, 'utf8')
    .subarray(0, MAX_BODY_BYTES)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return `${cut}\n\n…(cut at the memory directory's 1 MiB file limit)`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
