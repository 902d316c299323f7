import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { crc32, deflateRawSync } from 'node:zlib';

/**
 * Small exports in every format the importers read, built in code (never real personal data), and
 * hostile variants of them: zip slip, symlinks, bombs, lying sizes.
 */

export interface ZipFileSpec {
  name: string;
  data: Buffer | string;
  /** Stored uncompressed (default: deflated). */
  store?: boolean;
  /** A symbolic link entry (its data is the link target). */
  symlink?: boolean;
}

/** A ZIP archive written byte by byte, so tests can make names and attributes no zip tool would. */
export function zipOf(files: readonly ZipFileSpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const data = Buffer.isBuffer(file.data) ? file.data : Buffer.from(file.data, 'utf8');
    const packed = file.store ? data : deflateRawSync(data);
    const name = Buffer.from(file.name, 'utf8');
    const method = file.store ? 0 : 8;
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, packed);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix: external attributes carry the mode
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    const mode = file.symlink ? 0o120777 : 0o100644;
    central.writeUInt32LE((mode << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** A PDF with one text line per entry of each page (Helvetica, no compression). */
export function pdfOf(pages: readonly (readonly string[])[]): Buffer {
  const objects: string[] = ['', '', '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'];
  const kids: number[] = [];
  for (const lines of pages) {
    const escaped = lines.map((line) => `(${line.replace(/[()\\]/g, (char) => `\\${char}`)}) '`).join(' ');
    const stream = `BT /F1 12 Tf 72 720 Td 14 TL ${escaped} ET`;
    objects.push(`<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`);
    const content = objects.length;
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${content} 0 R >>`,
    );
    kids.push(objects.length);
  }
  objects[0] = '<< /Type /Catalog /Pages 2 0 R >>';
  objects[1] = `<< /Type /Pages /Kids [${kids.map((kid) => `${kid} 0 R`).join(' ')}] /Count ${kids.length} >>`;
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  out += offsets.map((at) => `${String(at).padStart(10, '0')} 00000 n \n`).join('');
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

export interface ChatMessageSpec {
  role: 'user' | 'assistant' | 'system';
  text: string;
}

/** A ChatGPT conversation as its export writes it: a `mapping` tree, here with an abandoned branch. */
export function chatGptConversation(
  id: string,
  title: string,
  messages: readonly ChatMessageSpec[],
  createTime = 1715176560,
) {
  const mapping: Record<string, unknown> = { root: { id: 'root', message: null, parent: null, children: [] } };
  let parent = 'root';
  messages.forEach((message, i) => {
    const node = `${id}-m${i}`;
    (mapping[parent] as { children: string[] }).children.push(node);
    mapping[node] = {
      id: node,
      parent,
      children: [],
      message: {
        id: node,
        author: { role: message.role },
        create_time: createTime + i * 60,
        content: { content_type: 'text', parts: [message.text] },
        metadata: {},
      },
    };
    parent = node;
  });
  // A regenerated reply the user moved away from: it must not be imported.
  const abandoned = `${id}-abandoned`;
  const firstUser = `${id}-m0`;
  if (mapping[firstUser]) {
    (mapping[firstUser] as { children: string[] }).children.push(abandoned);
    mapping[abandoned] = {
      id: abandoned,
      parent: firstUser,
      children: [],
      message: {
        id: abandoned,
        author: { role: 'assistant' },
        create_time: createTime,
        content: { content_type: 'text', parts: ['ABANDONED BRANCH'] },
      },
    };
  }
  return {
    id,
    conversation_id: id,
    title,
    create_time: createTime,
    update_time: createTime + 600,
    mapping,
    current_node: parent,
    default_model_slug: 'gpt-test',
  };
}

export function claudeConversation(uuid: string, name: string, messages: readonly ChatMessageSpec[]) {
  return {
    uuid,
    name,
    created_at: '2024-06-01T10:00:00.000Z',
    updated_at: '2024-06-01T10:30:00.000Z',
    chat_messages: messages.map((message, i) => ({
      uuid: `${uuid}-${i}`,
      sender: message.role === 'user' ? 'human' : 'assistant',
      text: message.text,
      content: [{ type: 'text', text: message.text }],
      created_at: `2024-06-01T10:0${i}:00.000Z`,
    })),
  };
}

/** n ChatGPT conversations with two exchanges each, all made up. */
export function chatGptExport(count: number): unknown[] {
  return Array.from({ length: count }, (_, i) =>
    chatGptConversation(`conv-${i}`, `Planning topic ${i}`, [
      { role: 'user', text: `How should I organise project ${i}?` },
      { role: 'assistant', text: `Split project ${i} into milestones and review them weekly.` },
      { role: 'user', text: `What about the budget for project ${i}?` },
      { role: 'assistant', text: `Keep a reserve of ten percent for project ${i}.` },
    ]),
  );
}

export interface StoredMemorySpec {
  content: string;
  tags: string;
  memory_type: string;
  metadata: string;
  created_at: number;
  deleted_at?: number | null;
}

/** An MCP Memory Service SQLite database with its schema (vectors omitted: we recompute ours). */
export function mcpMemoryServiceDatabase(path: string, memories: readonly StoredMemorySpec[]): void {
  const db = new Database(path);
  db.exec(`CREATE TABLE memories (
    id INTEGER PRIMARY KEY AUTOINCREMENT, content_hash TEXT UNIQUE NOT NULL, content TEXT NOT NULL, tags TEXT,
    memory_type TEXT, metadata TEXT, created_at REAL, updated_at REAL, created_at_iso TEXT, updated_at_iso TEXT,
    deleted_at REAL DEFAULT NULL)`);
  const insert = db.prepare(
    'INSERT INTO memories (content_hash, content, tags, memory_type, metadata, created_at, updated_at, created_at_iso, updated_at_iso, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  memories.forEach((memory, i) => {
    const iso = new Date(memory.created_at * 1000).toISOString();
    insert.run(
      `hash-${i}`,
      memory.content,
      memory.tags,
      memory.memory_type,
      memory.metadata,
      memory.created_at,
      memory.created_at,
      iso,
      iso,
      memory.deleted_at ?? null,
    );
  });
  db.close();
}

export const STORED_MEMORIES: StoredMemorySpec[] = [
  {
    content: 'We chose PostgreSQL for billing',
    tags: 'work,decision',
    memory_type: 'decision',
    metadata: '{"project":"billing"}',
    created_at: 1704103200.5,
  },
  {
    content: 'The staging cluster runs on three nodes',
    tags: 'infra',
    memory_type: 'observation',
    metadata: '{}',
    created_at: 1706781600,
  },
  {
    content: 'This one was deleted',
    tags: 'old',
    memory_type: 'note',
    metadata: '{}',
    created_at: 1706781600,
    deleted_at: 1706781700,
  },
];

/** The official memory server's knowledge graph file. */
export function memoryGraphJsonl(): string {
  return [
    {
      type: 'entity',
      name: 'Jane Doe',
      entityType: 'person',
      observations: ['Works on the billing service', 'Prefers written updates'],
    },
    { type: 'entity', name: 'Acme Corp', entityType: 'organization', observations: ['Makes rockets'] },
    { type: 'relation', from: 'Jane Doe', to: 'Acme Corp', relationType: 'works_at' },
  ]
    .map((line) => JSON.stringify(line))
    .join('\n');
}

/** One memory line of an Engram export; `fields` replace the made-up defaults. */
export function engramExportMemory(content: string, fields: Record<string, unknown> = {}) {
  return {
    namespace: 'default',
    content_hash: createHash('sha256').update(content).digest('hex'),
    content,
    memory_type: 'note',
    tags: ['exported'],
    metadata: {},
    created_at: 1715176560000,
    updated_at: 1715176560000,
    superseded_by: null,
    supersedes: null,
    valid_to: null,
    ...fields,
  };
}

/** An Engram export (GET /api/export) of these memory lines: header, lines, and an end line that matches them. */
export function engramExport(memories: readonly unknown[], header = '{"format":"engram-export","version":1}'): string {
  const lines = memories.map((memory) => `${JSON.stringify(memory)}\n`).join('');
  const sha256 = createHash('sha256').update(lines).digest('hex');
  return `${header}\n${lines}${JSON.stringify({ format: 'engram-export-end', memories: memories.length, sha256 })}\n`;
}
