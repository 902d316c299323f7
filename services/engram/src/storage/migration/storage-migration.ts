import { createHash, Hash } from 'node:crypto';
import { counted } from '../../common/counted';
import { AgentFileStore } from '../agent-file.store';
import { MemoryRecord, MigratedLink, MigratedMemory } from '../memory.record';
import { Stores } from '../stores';

/** Memories read and written per step: a migration holds one page (and its vectors) at a time. */
const PAGE = 500;
/** The agent's hidden root file that is part of its memory (see agent-file.rules.ts). */
const ROOT_FILES = ['.filters'];

/** One end of a migration: every port of the opened store and the agent's memory files. */
export interface MigrationSide {
  stores: Stores;
  agentFiles: AgentFileStore;
}

export interface NamespaceSummary {
  live: number;
  deleted: number;
  /** SHA-256 over (content_hash, tags, metadata, deleted, links) of its memories in id order. */
  checksum: string;
}

/** What a store holds, as compared before and after a migration. */
export interface StoreSummary {
  namespaces: Record<string, NamespaceSummary>;
  memories: number;
  vectors: number;
  apiKeys: number;
  oauthClients: number;
  agentFiles: number;
}

export interface MigrationProgress {
  copied: number;
  total: number;
}

/** What a target holds, in words ("3 memories", "1 API key"); empty when it holds nothing a migration writes. */
export async function contentsOf(side: MigrationSide): Promise<string[]> {
  const held: string[] = [];
  const memories = (await side.stores.memories.exportPage(undefined, 0, 1, true)).length;
  if (memories > 0) held.push('memories');
  const keys = await side.stores.apiKeys.countAll();
  if (keys > 0) held.push(counted(keys, 'API key', 'API keys'));
  const clients = (await side.stores.oauth.listClients(Date.now())).length;
  if (clients > 0) held.push(counted(clients, 'OAuth client', 'OAuth clients'));
  const namespaces = await side.agentFiles.namespaces();
  if (namespaces.length > 0)
    held.push(`agent memory files in ${counted(namespaces.length, 'namespace', 'namespaces')}`);
  return held;
}

/** Walks the whole store once: per namespace its counts and checksum, and the other totals. */
export async function summarise(side: MigrationSide): Promise<StoreSummary> {
  const digests = new Map<string, { live: number; deleted: number; hash: Hash }>();
  let memories = 0;
  let vectors = 0;
  for await (const page of pages(side)) {
    vectors += (await side.stores.search.embeddingsOf(page.map((memory) => memory.id))).size;
    for (const memory of page) {
      memories += 1;
      let entry = digests.get(memory.namespace);
      if (!entry) digests.set(memory.namespace, (entry = { live: 0, deleted: 0, hash: createHash('sha256') }));
      if (memory.deletedAt === null) entry.live += 1;
      else entry.deleted += 1;
      entry.hash.update(`${checksumLine(memory)}\n`);
    }
  }
  const namespaces: Record<string, NamespaceSummary> = {};
  for (const [namespace, { live, deleted, hash }] of [...digests].sort(([a], [b]) => (a < b ? -1 : 1))) {
    namespaces[namespace] = { live, deleted, checksum: hash.digest('hex') };
  }
  return {
    namespaces,
    memories,
    vectors,
    apiKeys: await side.stores.apiKeys.countAll(),
    oauthClients: (await side.stores.oauth.listClients(Date.now())).length,
    agentFiles: await countAgentFiles(side.agentFiles),
  };
}

/** Where two summaries differ, one line each; empty when they match. */
export function differences(source: StoreSummary, target: StoreSummary): string[] {
  const found: string[] = [];
  const names = new Set([...Object.keys(source.namespaces), ...Object.keys(target.namespaces)]);
  for (const name of [...names].sort()) {
    const [a, b] = [source.namespaces[name], target.namespaces[name]];
    if (!a || !b || a.live !== b.live || a.deleted !== b.deleted) {
      found.push(`namespace ${name}: ${describe(a)} in the source, ${describe(b)} in the target`);
    } else if (a.checksum !== b.checksum) {
      found.push(`namespace ${name}: checksums differ (${a.checksum.slice(0, 12)} vs ${b.checksum.slice(0, 12)})`);
    }
  }
  for (const field of ['vectors', 'apiKeys', 'oauthClients', 'agentFiles'] as const) {
    if (source[field] !== target[field])
      found.push(`${field}: ${source[field]} in the source, ${target[field]} in the target`);
  }
  return found;
}

/**
 * Copies everything a migration moves from `source` into the empty `target`: memories of every namespace
 * with their ids, trash and vectors as stored (never re-embedded), then the supersession links, API keys
 * (digests, scopes, expiry, last use, revocation), OAuth client registrations, and the agent's files.
 */
export async function migrateStorage(
  source: MigrationSide,
  target: MigrationSide,
  total: number,
  onProgress: (progress: MigrationProgress) => void,
): Promise<void> {
  const links = new LinkResolver();
  let copied = 0;
  onProgress({ copied, total });
  for await (const page of pages(source)) {
    const vectors = await source.stores.search.embeddingsOf(page.map((memory) => memory.id));
    await target.stores.memories.importMemories(page.map((memory) => migrated(memory, vectors.get(memory.id))));
    page.forEach((memory) => links.add(memory));
    copied += page.length;
    onProgress({ copied, total });
  }
  await target.stores.memories.importLinks(links.resolved());
  for (const { record, secretHash } of await source.stores.apiKeys.listWithSecretHashes()) {
    await target.stores.apiKeys.insert(record, secretHash);
    if (record.lastUsedAt !== null) await target.stores.apiKeys.markUsed(record.id, record.lastUsedAt);
    if (record.revokedAt !== null) await target.stores.apiKeys.revoke(record.id, record.revokedAt);
  }
  for (const {
    clientId,
    secretHash,
    metadata,
    createdAt,
    source: kind,
    grantedAt,
  } of await source.stores.oauth.listClients(Date.now())) {
    await target.stores.oauth.importClient({ clientId, secretHash, metadata, createdAt, source: kind, grantedAt });
  }
  await copyAgentFiles(source.agentFiles, target.agentFiles);
}

async function* pages(side: MigrationSide): AsyncGenerator<MemoryRecord[]> {
  for (let afterId = 0; ;) {
    const page = await side.stores.memories.exportPage(undefined, afterId, PAGE, true);
    if (page.length === 0) return;
    yield page;
    afterId = page[page.length - 1].id;
  }
}

function migrated(memory: MemoryRecord, embedding: Float32Array | undefined): MigratedMemory {
  const { supersededBy: _by, supersedes: _of, validTo: _to, ...fields } = memory;
  return { ...fields, ...(embedding ? { embedding } : {}) };
}

/**
 * The source names a memory's links by content hash; ids are kept, so each hash maps back to the id it
 * had. A hash names one live memory per namespace, but deleted copies of it may sit in the trash: a link
 * resolves to the live one first, as it did when it was made.
 */
class LinkResolver {
  private readonly live = new Map<string, number>();
  private readonly trash = new Map<string, number>();
  private readonly linked: MemoryRecord[] = [];

  add(memory: MemoryRecord): void {
    (memory.deletedAt === null ? this.live : this.trash).set(key(memory.namespace, memory.contentHash), memory.id);
    if (memory.supersededBy !== null || memory.supersedes !== null || memory.validTo !== null) this.linked.push(memory);
  }

  resolved(): MigratedLink[] {
    const idOf = (namespace: string, hash: string | null) =>
      hash === null ? null : (this.live.get(key(namespace, hash)) ?? this.trash.get(key(namespace, hash)) ?? null);
    return this.linked.map((memory) => ({
      id: memory.id,
      supersededBy: idOf(memory.namespace, memory.supersededBy),
      supersedes: idOf(memory.namespace, memory.supersedes),
      validTo: memory.validTo,
    }));
  }
}

async function copyAgentFiles(from: AgentFileStore, to: AgentFileStore): Promise<void> {
  for (const namespace of await from.namespaces()) {
    for (const file of await from.list(namespace)) {
      // Copied into the new store as an import: its history starts there (the old store's stays behind).
      await to.write(namespace, file.path, await from.read(namespace, file.path), 'import');
    }
    for (const name of ROOT_FILES) {
      const content = await from.readRootFile(namespace, name);
      if (content !== undefined) await to.writeRootFile(namespace, name, content);
    }
  }
}

async function countAgentFiles(files: AgentFileStore): Promise<number> {
  let count = 0;
  for (const namespace of await files.namespaces()) {
    count += (await files.list(namespace)).length;
    for (const name of ROOT_FILES) if ((await files.readRootFile(namespace, name)) !== undefined) count += 1;
  }
  return count;
}

function checksumLine(memory: MemoryRecord): string {
  return JSON.stringify([
    memory.contentHash,
    [...memory.tags].sort(),
    canonical(memory.metadata),
    memory.deletedAt !== null,
    memory.supersededBy,
    memory.supersedes,
  ]);
}

/** Metadata with its keys sorted at every level: both engines keep the JSON, not necessarily its key order. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((name) => [name, canonical((value as Record<string, unknown>)[name])]),
  );
}

function describe(summary: NamespaceSummary | undefined): string {
  return summary ? `${summary.live} live and ${summary.deleted} deleted` : 'nothing';
}

function key(namespace: string, contentHash: string): string {
  return `${namespace}\u0000${contentHash}`;
}
