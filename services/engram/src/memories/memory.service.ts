import { Inject, Injectable } from '@nestjs/common';
import { AuditAction } from '../audit/audit-event';
import { AuditService } from '../audit/audit.service';
import { currentNamespace } from '../auth/request-context';
import { jsonShapeProblem } from '../common/json-shape';
import { holdsLoneSurrogate } from '../common/request-text';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import {
  ContentTooLarge,
  DuplicateContent,
  InvalidInput,
  MemoryNotFound,
  NotFound,
  StateConflict,
} from '../common/domain-errors';
import { EmbeddingService } from '../embeddings/embedding.service';
import { MemoryEvents } from '../events/memory-events';
import { UsageRecorder } from '../quality/usage-recorder';
import { ConflictScanner, PossibleConflict } from '../conflicts/conflict-scanner';
import { MS_PER_DAY } from '../time/time-expression/civil-date';
import { ZonedCalendar } from '../time/time-expression/zoned-calendar';
import { resolveTimeFilter } from '../time/time-filter';
import { MemoryChanges, MemoryCounts, MemoryRecord, NewMemory, TagCount } from '../storage/memory.record';
import { ListOrder, MemoryPosition, SupersedeRefusal } from '../storage/memory.store';
import { MemoryFilter } from '../storage/memory-filter.sql';
import { MemoryStore } from '../storage/memory.store';
import { LIST_CURSOR_KEY } from '../storage/storage.module';
import { contentHash } from './content-hash';
import { decodeCursor, encodeCursor } from './list-cursor';
import {
  ListMemoriesInput,
  MAX_PAGE_SIZE,
  MAX_CREATED_AT_SKEW_MS,
  MAX_TIMESTAMP_MS,
  StoreMemoryInput,
  TrashInput,
  UpdateMemoryInput,
} from './memory.dto';
import { toMemoryView } from './memory.view';
import { counted } from '../common/counted';

export { DEFAULT_NAMESPACE } from '../auth/request-context';
export const DEFAULT_MEMORY_TYPE = 'note';

export interface StoreOutcome {
  memory: MemoryRecord;
  /** False when a live memory with the same content already existed: it is returned, nothing is added. */
  created: boolean;
}

/** Which memories an operation applies to: tags (any/all), type, and a time range. */
export interface MemorySelection {
  tags?: string[];
  tag_match?: 'any' | 'all';
  memory_type?: string;
  time_expr?: string;
  after?: number;
  before?: number;
  include_superseded?: boolean;
}

/** A supersession: the memory that stopped holding, and the one that holds now. */
export interface Supersession {
  previous: MemoryRecord;
  current: MemoryRecord;
}

/** A filter delete touches at most this many memories per call, so one call stays short. */
export const MAX_FILTER_DELETE = 10_000;

export interface FilterDeleteOutcome {
  /** Live memories the filter admits. */
  matched: number;
  /** Content hashes deleted (or, in a dry run, that would be), oldest first. */
  selected: string[];
  /** Admitted memories left for a further call. */
  remaining: number;
}

/**
 * A page of a list. A page reached by cursor has no number, and its total only when the namespace's
 * tallies give it without counting (MemoryStore.countFromTallies: the whole namespace, one type or one tag):
 * null otherwise.
 */
export interface MemoryPage {
  memories: MemoryRecord[];
  total: number | null;
  page: number | null;
  pageSize: number;
  hasMore: boolean;
  totalPages: number | null;
  /** Continues after this page's last row; null on the last page. */
  nextCursor: string | null;
}

/** A page asked for by number (no cursor): its number and total are known. */
export interface NumberedPage extends MemoryPage {
  total: number;
  page: number;
  totalPages: number;
}

/** Storing, reading, editing and deleting memories: deduplication, size limits, re-embedding. */
@Injectable()
export class MemoryService {
  constructor(
    private readonly memories: MemoryStore,
    private readonly embeddings: EmbeddingService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: MemoryEvents,
    private readonly audit: AuditService,
    private readonly usage: UsageRecorder,
    private readonly conflicts: ConflictScanner,
    @Inject(LIST_CURSOR_KEY) private readonly cursorKey: Buffer,
  ) {}

  /** Stores one memory; exact duplicate content is refused with the existing memory in the error. */
  async store(input: StoreMemoryInput, extraTags: readonly string[] = []): Promise<MemoryRecord> {
    const [outcome] = await this.storeMany([input], extraTags);
    if (!outcome.created) {
      throw new DuplicateContent('A memory with the same content already exists', {
        content_hash: outcome.memory.contentHash,
        memory: toMemoryView(outcome.memory),
      });
    }
    return outcome.memory;
  }

  /** Stores one memory and, with ENGRAM_CONFLICTS_ON_WRITE=suggest, lists the open conflicts it raises. */
  async storeReviewed(
    input: StoreMemoryInput,
    extraTags: readonly string[] = [],
  ): Promise<{ memory: MemoryRecord; possibleConflicts?: PossibleConflict[] }> {
    const memory = await this.store(input, extraTags);
    return { memory, possibleConflicts: await this.possibleConflicts(memory) };
  }

  /** The open conflicts a stored memory raises when ENGRAM_CONFLICTS_ON_WRITE=suggest; undefined otherwise. */
  async possibleConflicts(memory: MemoryRecord): Promise<PossibleConflict[] | undefined> {
    return this.config.conflicts.onWrite === 'suggest' ? await this.conflicts.reviewMemory(memory) : undefined;
  }

  /** Throws what storing `input` in the current namespace would be refused for (a dry run's check), storing nothing. */
  checkNew(input: StoreMemoryInput): void {
    this.draft(input, [], Date.now(), undefined);
  }

  /**
   * Stores many memories in one transaction. Duplicates (of stored memories or within the batch) are
   * reported, not stored twice, and are never embedded. `itemName` names an input in errors, as the
   * caller's request does (`memories.3` of a REST batch).
   */
  async storeMany(
    inputs: readonly StoreMemoryInput[],
    extraTags: readonly string[] = [],
    itemName: (index: number) => string = (index) => `memories.${index}`,
  ): Promise<StoreOutcome[]> {
    const { maxBatchItems } = this.config.limits;
    if (inputs.length > maxBatchItems) {
      throw new ContentTooLarge(
        `A batch holds at most ${counted(maxBatchItems, 'memory', 'memories')} (ENGRAM_MAX_BATCH_ITEMS); got ${inputs.length}`,
      );
    }
    const now = Date.now();
    const drafts = inputs.map((input, index) =>
      this.draft(input, extraTags, now, inputs.length > 1 ? itemName(index) : undefined),
    );
    const existing = new Map<string, MemoryRecord>();
    for (const draft of drafts) {
      const found = await this.memories.findLiveByHash(draft.namespace, draft.contentHash);
      if (found) existing.set(draft.contentHash, found);
    }
    const toEmbed = uniqueBy(
      drafts.filter((draft) => !existing.has(draft.contentHash)),
      (draft) => draft.contentHash,
    );
    const vectors = await this.embeddings.embedMany(toEmbed.map((draft) => draft.content));
    const stored = await this.memories.insertMany(toEmbed.map((draft, i) => ({ ...draft, embedding: vectors[i] })));
    const outcomeByHash = new Map(stored.map((outcome) => [outcome.memory.contentHash, outcome]));

    const seen = new Set<string>();
    const outcomes = drafts.map((draft) => {
      const prior = existing.get(draft.contentHash);
      if (prior) return { memory: prior, created: false };
      const outcome = outcomeByHash.get(draft.contentHash)!;
      const firstInBatch = !seen.has(draft.contentHash);
      seen.add(draft.contentHash);
      return { memory: outcome.memory, created: outcome.created && firstInBatch };
    });
    for (const outcome of outcomes) if (outcome.created) this.events.created(outcome.memory);
    return outcomes;
  }

  async get(hash: string): Promise<MemoryRecord> {
    const memory = await this.memories.findLiveByHash(currentNamespace(), hash);
    if (!memory) throw new MemoryNotFound(hash);
    return memory;
  }

  /**
   * The live memories whose hash starts with `prefix` (lowercase hex), at most `limit`, in hash order: what a
   * shortened hash, as the CLI prints them, may name (a whole hash names one memory or none).
   */
  async matchHashPrefix(prefix: string, limit: number): Promise<MemoryRecord[]> {
    return this.memories.findLiveByHashPrefix(currentNamespace(), prefix, limit);
  }

  /** A client reading one memory: counted as a use (a fetch). */
  async read(hash: string): Promise<MemoryRecord> {
    const memory = await this.get(hash);
    this.usage.fetched(memory.id);
    return memory;
  }

  /** A page of the list by number (an offset) or after a cursor (a position), each with the next cursor. */
  async list(input: ListMemoriesInput & { cursor?: undefined }): Promise<NumberedPage>;
  async list(input: ListMemoriesInput): Promise<MemoryPage>;
  async list(input: ListMemoriesInput): Promise<MemoryPage> {
    const selection = { ...input, tags: [...(input.tag ?? []), ...(input.tags ?? [])] };
    const filter = this.filterFor(selection);
    const fields = listCursorFields(filter.namespace, selection, input.order);
    const cursorAfter = (last: MemoryRecord) =>
      encodeCursor('memories', { at: last.createdAt, id: last.id }, fields, this.cursorKey);
    if (input.cursor === undefined) {
      const numbered = await this.numberedPage(filter, input);
      return { ...numbered, nextCursor: numbered.hasMore ? cursorAfter(numbered.memories.at(-1)!) : null };
    }
    const position = decodeCursor(pageOrCursor(input.page, input.cursor), 'memories', fields, this.cursorKey);
    const after = { createdAt: position.at, id: position.id };
    const read = await this.memories.listAfter(filter, after, input.page_size + 1, input.order);
    const memories = read.slice(0, input.page_size);
    const hasMore = read.length > input.page_size;
    // The total only where the tallies give it: counting a filter for every page would make a walk quadratic.
    const total = (await this.memories.countFromTallies(filter)) ?? null;
    return {
      memories,
      total,
      page: null,
      pageSize: input.page_size,
      hasMore,
      totalPages: total === null ? null : Math.ceil(total / input.page_size),
      nextCursor: hasMore ? cursorAfter(memories.at(-1)!) : null,
    };
  }

  private async numberedPage(
    filter: MemoryFilter,
    input: ListMemoriesInput,
  ): Promise<Omit<NumberedPage, 'nextCursor'>> {
    const page = input.page ?? 1;
    const total = await this.memories.count(filter);
    const offset = (page - 1) * input.page_size;
    const memories = offset < total ? await this.memories.list(filter, offset, input.page_size, input.order) : [];
    return {
      memories,
      total,
      page,
      pageSize: input.page_size,
      hasMore: offset + memories.length < total && memories.length > 0,
      totalPages: Math.ceil(total / input.page_size),
    };
  }

  /**
   * Every live memory the selection admits, oldest first, fetched `pageSize` at a time after the last
   * one given: each memory is read once, where paging through `list` passes over all before each page.
   */
  async *walk(input: MemorySelection, pageSize = MAX_PAGE_SIZE): AsyncGenerator<MemoryRecord> {
    const filter = this.filterFor(input);
    let after: MemoryPosition | undefined;
    for (;;) {
      const page = await this.memories.listAfter(filter, after, pageSize);
      yield* page;
      if (page.length < pageSize) return;
      after = page[page.length - 1];
    }
  }

  /** Edits a memory; new content is re-embedded and gives the memory a new content_hash. */
  async update(hash: string, input: UpdateMemoryInput): Promise<MemoryRecord> {
    const memory = await this.get(hash);
    const changes: MemoryChanges = {
      updatedAt: Date.now(),
      tags: input.tags,
      memoryType: input.memory_type,
      metadata: input.metadata === undefined ? undefined : this.checkedMetadata(input.metadata),
    };
    if (input.content !== undefined && input.content !== memory.content) {
      this.checkContent(input.content);
      const newHash = contentHash(input.content);
      const clash =
        newHash === memory.contentHash ? undefined : await this.memories.findLiveByHash(memory.namespace, newHash);
      if (clash) throw duplicateOf(clash);
      Object.assign(changes, {
        content: input.content,
        contentHash: newHash,
        embedding: await this.embeddings.embedOne(input.content),
      });
    }
    const updated = await this.memories.update(memory.id, memory.namespace, changes);
    this.events.updated(updated, memory.contentHash);
    return updated;
  }

  /**
   * Replaces a current memory by a new one: the old keeps its content and gains `superseded_by` and
   * `valid_to`, the new one `supersedes`. Tags, type and metadata the input leaves out are carried over.
   */
  async supersede(hash: string, input: StoreMemoryInput, extraTags: readonly string[] = []): Promise<Supersession> {
    const previous = await this.get(hash);
    if (previous.supersededBy !== null) throw alreadySuperseded(previous);
    const carried: StoreMemoryInput = {
      ...input,
      tags: input.tags ?? previous.tags,
      memory_type: input.memory_type ?? previous.memoryType,
      metadata: input.metadata ?? previous.metadata,
    };
    const draft = this.draft(carried, extraTags, Date.now(), undefined);
    const clash = await this.memories.findLiveByHash(draft.namespace, draft.contentHash);
    if (clash) throw duplicateOf(clash);
    const embedding = await this.embeddings.embedOne(draft.content);
    const outcome = await this.memories.insertSuperseding(previous.id, { ...draft, embedding }, Date.now());
    const current = settled(outcome, hash);
    this.events.created(current);
    return await this.announceSupersession(previous.id, current);
  }

  /** Records that the existing memory `newHash` supersedes `oldHash` (conflict review, consolidation). */
  async linkSupersession(oldHash: string, newHash: string): Promise<Supersession> {
    const previous = await this.get(oldHash);
    const next = await this.get(newHash);
    if (previous.id === next.id) throw new StateConflict('A memory cannot supersede itself');
    const current = settled(
      await this.memories.linkSupersession(previous.namespace, previous.id, next.id, Date.now()),
      oldHash,
    );
    return await this.announceSupersession(previous.id, current);
  }

  /**
   * A client reading a memory by an id that may be old: the memory, or when newer versions replaced it,
   * the live one that holds now (the newest live version when the current one was deleted). Counted as a
   * fetch of the version returned.
   */
  async currentVersion(hash: string): Promise<MemoryRecord> {
    let memory = await this.get(hash);
    while (memory.supersededBy !== null) {
      const next = await this.memories.findLiveByHash(memory.namespace, memory.supersededBy);
      if (!next) break;
      memory = next;
    }
    this.usage.fetched(memory.id);
    return memory;
  }

  /** Every version of the memory, in the order they held; the last one holds now (unless deleted). */
  async history(hash: string): Promise<MemoryRecord[]> {
    const memory = await this.get(hash);
    return this.memories.history(memory.namespace, memory.id);
  }

  /** A caller's delete of one memory by hash (REST, MCP, CLI): soft (to the trash) or for good, audited. */
  async delete(hash: string, hard: boolean): Promise<MemoryRecord> {
    const memory = await this.deleteUnaudited(hash, hard);
    await this.audit.record({
      action: AuditAction.MemoryDelete,
      outcome: 'success',
      target: memory.contentHash,
      namespace: memory.namespace,
      ...(hard ? { details: { hard: true } } : {}),
    });
    return memory;
  }

  /**
   * Deletes one memory without an audit entry of its own: for actions that audit themselves as a whole
   * (a filter delete, consolidation) and for the memory-file index's bookkeeping.
   */
  async deleteUnaudited(hash: string, hard: boolean): Promise<MemoryRecord> {
    const memory = await this.get(hash);
    if (hard) await this.memories.hardDelete(memory.id);
    else await this.memories.softDelete(memory.id, Date.now());
    this.events.deleted(memory, hard);
    return memory;
  }

  /**
   * The namespace's trash, a page at a time by number or after a cursor: each deleted text once, most
   * recently deleted first. Its total is the namespace's `trash` tally, so a page by cursor has it too.
   */
  async trash(input: TrashInput): Promise<MemoryPage> {
    const namespace = currentNamespace();
    const total = await this.memories.countDeleted(namespace);
    let page: number | null = null;
    let memories: MemoryRecord[];
    let hasMore: boolean;
    if (input.cursor === undefined) {
      page = input.page ?? 1;
      const offset = (page - 1) * input.page_size;
      memories = offset < total ? await this.memories.listDeleted(namespace, offset, input.page_size) : [];
      hasMore = offset + memories.length < total && memories.length > 0;
    } else {
      const position = decodeCursor(pageOrCursor(input.page, input.cursor), 'trash', { namespace }, this.cursorKey);
      const after = { deletedAt: position.at, id: position.id };
      const read = await this.memories.listDeletedAfter(namespace, after, input.page_size + 1);
      memories = read.slice(0, input.page_size);
      hasMore = read.length > input.page_size;
    }
    const last = memories.at(-1);
    return {
      memories,
      total,
      page,
      pageSize: input.page_size,
      hasMore,
      totalPages: Math.ceil(total / input.page_size),
      nextCursor:
        hasMore && last
          ? encodeCursor('trash', { at: last.deletedAt!, id: last.id }, { namespace }, this.cursorKey)
          : null,
    };
  }

  /** matchHashPrefix for the trash: each deleted text whose hash starts with `prefix`, as getDeleted reads it. */
  async matchTrashHashPrefix(prefix: string, limit: number): Promise<MemoryRecord[]> {
    return this.memories.findDeletedByHashPrefix(currentNamespace(), prefix, limit);
  }

  async getDeleted(hash: string): Promise<MemoryRecord> {
    const memory = await this.memories.findDeletedByHash(currentNamespace(), hash);
    if (!memory) throw new NotFound(`No deleted memory with content_hash ${hash} in the trash`);
    return memory;
  }

  /**
   * Brings a memory back from the trash (re-embedded: deleting dropped its vector). When the same content
   * is live again, the restore is refused with that memory, as a second store would be.
   */
  async restore(hash: string): Promise<MemoryRecord> {
    const tombstone = await this.getDeleted(hash);
    const live = await this.memories.findLiveByHash(tombstone.namespace, hash);
    if (live) throw liveAgain(live);
    const embedding = await this.embeddings.embedOne(tombstone.content);
    const outcome = await this.memories.restoreDeleted(tombstone.id, tombstone.namespace, embedding, Date.now());
    if (outcome === 'gone') throw new NotFound(`No deleted memory with content_hash ${hash} in the trash`);
    if ('clash' in outcome) throw liveAgain(outcome.clash);
    await this.audit.record({
      action: AuditAction.MemoryRestore,
      outcome: 'success',
      target: tombstone.contentHash,
      namespace: tombstone.namespace,
    });
    this.events.created(outcome.restored, { restored: true });
    return outcome.restored;
  }

  /** Deletes a memory in the trash for good (every deletion of that text). */
  async purge(hash: string): Promise<MemoryRecord> {
    const tombstone = await this.getDeleted(hash);
    const deletions = await this.memories.purgeDeleted(tombstone.namespace, hash);
    await this.audit.record({
      action: AuditAction.MemoryPurge,
      outcome: 'success',
      target: tombstone.contentHash,
      namespace: tombstone.namespace,
      details: { deletions },
    });
    this.events.deleted(tombstone, true);
    return tombstone;
  }

  /**
   * Soft-deletes the live memories a filter admits, oldest first, at most MAX_FILTER_DELETE per call
   * (the rest stay for the next call); with `dryRun` only reports what would go.
   */
  async deleteMatching(input: MemorySelection, dryRun: boolean): Promise<FilterDeleteOutcome> {
    // Older versions match the filter as much as current ones: a filter delete takes both.
    const filter = this.filterFor({ ...input, include_superseded: true });
    const matched = await this.memories.count(filter);
    const selected = await this.memories.list(filter, 0, MAX_FILTER_DELETE, 'oldest');
    if (!dryRun) for (const memory of selected) await this.deleteUnaudited(memory.contentHash, false);
    if (!dryRun)
      await this.audit.record({
        action: AuditAction.MemoriesDeleteByFilter,
        outcome: 'success',
        details: { filter: input, deleted: selected.length, matched },
      });
    return { matched, selected: selected.map((memory) => memory.contentHash), remaining: matched - selected.length };
  }

  /**
   * Live memories by the calendar day (ENGRAM_TIMEZONE) they were created, for the last `days` days
   * including today, and how many are older: enough to chart the total over time.
   */
  async createdPerDay(
    days: number,
    now = Date.now(),
  ): Promise<{ before: number; days: { day: string; created: number }[] }> {
    const calendar = new ZonedCalendar(this.config.search.timeZone);
    const today = calendar.wallTime(now).day;
    const namespace = currentNamespace();
    const starts = Array.from({ length: days + 1 }, (_, i) => calendar.epochMs(today - days + 1 + i));
    const created = await Promise.all(
      starts
        .slice(0, days)
        .map((start, i) => this.memories.count({ namespace, createdFromMs: start, createdBeforeMs: starts[i + 1] })),
    );
    // The namespace's total is a tally: the memories before the window are the total less the window's
    // (and later ones'), which stays as cheap as the window however large the namespace grows.
    const [total, since] = await Promise.all([
      this.memories.count({ namespace }),
      this.memories.count({ namespace, createdFromMs: starts[0] }),
    ]);
    return {
      before: total - since,
      days: created.map((count, i) => ({
        day: new Date((today - days + 1 + i) * MS_PER_DAY).toISOString().slice(0, 10),
        created: count,
      })),
    };
  }

  tags(): Promise<TagCount[]> {
    return this.memories.tagCounts(currentNamespace());
  }

  stats(): Promise<MemoryCounts> {
    return this.memories.counts(currentNamespace());
  }

  private async announceSupersession(previousId: number, current: MemoryRecord): Promise<Supersession> {
    const [previous] = await this.memories.findInNamespace(current.namespace, [previousId]);
    this.events.superseded(previous, current);
    return { previous, current };
  }

  private filterFor(input: MemorySelection): MemoryFilter {
    return {
      namespace: currentNamespace(),
      tags: input.tags,
      tagMatch: input.tag_match,
      memoryType: input.memory_type,
      includeSuperseded: input.include_superseded,
      ...resolveTimeFilter(input, new Date(), this.config.search.timeZone),
    };
  }

  private draft(
    input: StoreMemoryInput,
    extraTags: readonly string[],
    now: number,
    item: string | undefined,
  ): Omit<NewMemory, 'embedding'> {
    this.checkContent(input.content, item);
    const metadata = { ...input.metadata };
    if (input.client_hostname !== undefined) metadata.client_hostname = input.client_hostname;
    if (input.conversation_id !== undefined) metadata.conversation_id = input.conversation_id;
    return {
      namespace: currentNamespace(),
      contentHash: contentHash(input.content),
      content: input.content,
      memoryType: input.memory_type ?? DEFAULT_MEMORY_TYPE,
      metadata: this.checkedMetadata(metadata, item),
      tags: [...new Set([...(input.tags ?? []), ...extraTags])].sort(),
      createdAt: this.checkedTimestamp(input.created_at ?? now, now, item),
      updatedAt: now,
    };
  }

  /**
   * Every path (REST and MCP validate the form first; imports and internal callers may not) stops here. A time
   * ahead of the clock would sort first in every newest-first list and match "today" for days to come.
   */
  private checkedTimestamp(createdAt: number, now: number, item?: string): number {
    if (!Number.isFinite(createdAt) || Math.abs(createdAt) > MAX_TIMESTAMP_MS) {
      throw new InvalidInput(`${where(item)}created_at is outside the valid date range`, {
        issues: [{ path: pathOf(item, 'created_at'), message: 'out of range' }],
      });
    }
    if (createdAt <= now + MAX_CREATED_AT_SKEW_MS) return createdAt;
    const ahead = `more than ${MAX_CREATED_AT_SKEW_MS / 60_000} minutes ahead of the server's clock`;
    throw new InvalidInput(
      `${where(item)}created_at ${new Date(createdAt).toISOString()} is in the future (${ahead}, ${new Date(now).toISOString()})`,
      { issues: [{ path: pathOf(item, 'created_at'), message: `in the future (${ahead})` }] },
    );
  }

  private checkContent(content: string, item?: string): void {
    // NUL ends text in SQLite's string functions and in FTS5; a lone surrogate has no UTF-8 form.
    if (content.includes('\0') || holdsLoneSurrogate(content)) {
      throw new InvalidInput(`${where(item)}content holds a NUL character or a lone UTF-16 surrogate`, {
        issues: [{ path: pathOf(item, 'content'), message: 'not storable text' }],
      });
    }
    const bytes = Buffer.byteLength(content, 'utf8');
    const limit = this.config.limits.maxContentBytes;
    if (bytes > limit) {
      throw new ContentTooLarge(
        `${where(item)}content is ${bytes} bytes; the limit is ${limit} (ENGRAM_MAX_CONTENT_BYTES)`,
      );
    }
  }

  private checkedMetadata(metadata: Record<string, unknown>, item?: string): Record<string, unknown> {
    const problem = jsonShapeProblem(metadata);
    if (problem !== undefined) {
      throw new InvalidInput(`${where(item)}metadata: ${problem}`, {
        issues: [{ path: pathOf(item, 'metadata'), message: problem }],
      });
    }
    const bytes = Buffer.byteLength(JSON.stringify(metadata), 'utf8');
    const limit = this.config.limits.maxMetadataBytes;
    if (bytes > limit) {
      throw new ContentTooLarge(
        `${where(item)}metadata is ${bytes} bytes as JSON; the limit is ${limit} (ENGRAM_MAX_METADATA_BYTES)`,
      );
    }
    return metadata;
  }
}

function duplicateOf(clash: MemoryRecord): DuplicateContent {
  return new DuplicateContent('Another memory already has this content', {
    content_hash: clash.contentHash,
    memory: toMemoryView(clash),
  });
}

function alreadySuperseded(memory: MemoryRecord): StateConflict {
  return new StateConflict(
    `Memory ${memory.contentHash} was already superseded by ${memory.supersededBy}; supersede that one instead`,
    { content_hash: memory.contentHash, superseded_by: memory.supersededBy },
  );
}

/** The record a supersession produced, or the domain error its refusal means. */
function settled(outcome: MemoryRecord | SupersedeRefusal, hash: string): MemoryRecord {
  if (!('refused' in outcome)) return outcome;
  if (outcome.refused === 'gone') throw new MemoryNotFound(hash);
  if (outcome.refused === 'duplicate') throw duplicateOf(outcome.memory);
  throw alreadySuperseded(outcome.memory);
}

function liveAgain(live: MemoryRecord): DuplicateContent {
  return new DuplicateContent('A live memory already has this content; it was not restored', {
    content_hash: live.contentHash,
    memory: toMemoryView(live),
  });
}

/** The prefix naming an item of a request in an error message ('' for a request of one memory). */
function where(item: string | undefined): string {
  return item === undefined ? '' : `${item}: `;
}

function pathOf(item: string | undefined, field: string): string {
  return item === undefined ? field : `${item}.${field}`;
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const unique = new Map<string, T>();
  for (const item of items) if (!unique.has(key(item))) unique.set(key(item), item);
  return [...unique.values()];
}

/** The cursor itself, when the request gives no page number beside it (a page and a cursor contradict). */
function pageOrCursor(page: number | undefined, cursor: string): string {
  if (page !== undefined) {
    throw new InvalidInput('give page or cursor, not both: a cursor continues after the page that returned it');
  }
  return cursor;
}

/** What a list's cursor must be used with again: the namespace, every filter as given, and the order. */
function listCursorFields(namespace: string, selection: MemorySelection, order: ListOrder) {
  const tags = [...new Set(selection.tags ?? [])].sort();
  return {
    namespace,
    order,
    tags: tags.length > 0 ? tags : undefined,
    tag_match: tags.length > 1 ? (selection.tag_match ?? 'any') : undefined,
    memory_type: selection.memory_type,
    time_expr: selection.time_expr,
    after: selection.after,
    before: selection.before,
    include_superseded: selection.include_superseded === true,
  };
}
