import { Inject, Injectable, Logger } from '@nestjs/common';
import { MemoryDirectoryRepository } from '../agent/memory-dir/memory-directory.repository';
import { runInContext } from '../auth/request-context';
import { counted } from '../common/counted';
import { DomainError, MemoryNotFound } from '../common/domain-errors';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { JobContext, jobLockWait } from '../jobs/job-processor';
import { JobCancelled } from '../jobs/job.errors';
import { ImportJobData } from '../jobs/job.types';
import { contentHash } from '../memories/content-hash';
import { MemoryService } from '../memories/memory.service';
import { AgentFileStore, AgentFileWorkspace } from '../storage/agent-file.store';
import { StoreLocks } from '../storage/locks/store-locks';
import { ImportRejected } from './imports.errors';
import { ImportSource } from './imports.types';
import { ImportUploadRepository } from './import-upload.repository';
import { ImportItem, ItemSettings } from './memory-items';
import { MemoryDirTarget } from './memory-dir.target';
import { ImportReader } from './reading/import-reader';
import { ReadHeader, ReadRequest } from './reading/import-reading';

/** Memories stored per transaction (and per embedding call group). */
const BATCH_ITEMS = 64;
/** Failures listed in the result; the count covers them all. */
const LISTED_FAILURES = 50;
const PROGRESS_INTERVAL_MS = 500;
const UPLOAD_MAX_AGE_MS = 24 * 3600 * 1000;

export interface ImportSummary {
  source: ImportSource;
  source_label: string;
  target: ImportJobData['target'];
  dry_run: boolean;
  file: string;
  /** Conversations, pages, files, stored memories, entities… */
  documents: number;
  /** Memories the documents make (after chunking). */
  items_read: number;
  stored: number;
  duplicates: number;
  failed: number;
  failures: { item: string; reason: string }[];
  /** Symbolic links and such, left out on purpose. */
  skipped: { item: string; reason: string }[];
  files_written?: string[];
  duration_seconds: number;
  items_per_second: number;
}

/**
 * Runs imports: finds the importer, reads the input twice — first to check all of it (a file that cannot
 * be read as its source is refused before anything is written; an item that cannot be read is a failure
 * of its own) and count it, then to store — and reports what happened.
 * Reading (parsing, chunking) runs in a worker thread per pass (ImportReader), so no file, however
 * large or hostile, holds up the process's event loop; this side only stores what it is handed.
 * Storing deduplicates by content hash, so a re-run (after a crash, or of the same file) adds nothing
 * twice: an interrupted import is resumed by running it again.
 */
@Injectable()
export class ImportsService {
  private readonly logger = new Logger('Imports');

  constructor(
    private readonly memories: MemoryService,
    private readonly uploads: ImportUploadRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly locks: StoreLocks,
    private readonly files: AgentFileStore,
  ) {}

  async runImport(data: ImportJobData, job: JobContext): Promise<ImportSummary> {
    const started = Date.now();
    let keepUpload = false;
    let header: ReadHeader | undefined;
    try {
      await this.uploads.pruneOlderThan(UPLOAD_MAX_AGE_MS);
      const { location, name } = await this.uploads.locate(data.input);
      const request: ReadRequest = {
        location,
        name,
        limits: this.config.imports,
        source: data.source as ImportSource | 'auto',
        target: data.target,
        items: this.itemSettings(),
        stepTimeoutMs: this.config.imports.readTimeoutMs,
      };
      const checking = await ImportReader.open(request);
      header = checking.header;
      const counted = await this.sourceFound(header, data, job)
        .then(() => this.check(checking, name, data, job))
        .finally(() => checking.close());
      const summary: ImportSummary = {
        source: header.source,
        source_label: header.label,
        target: data.target,
        dry_run: data.dryRun,
        file: name,
        documents: counted.documents,
        items_read: counted.items,
        stored: 0,
        duplicates: counted.duplicates,
        failed: counted.failed,
        failures: counted.failures,
        skipped: header.skipped,
        duration_seconds: 0,
        items_per_second: 0,
      };
      const storing = { ...request, source: header.source };
      if (data.target === 'memory-dir') await this.writeMemoryDir(storing, header, data, job, summary);
      else if (!data.dryRun) {
        await this.locks.storeWork(() => this.store(storing, data, job, summary, counted.items), jobLockWait(job, 3));
      }
      finished(summary, started);
      const { source, documents, items_read, stored, duplicates, failed, duration_seconds } = summary;
      this.logger.log({
        msg: 'Import finished',
        job: job.jobId,
        source,
        documents,
        items_read,
        stored,
        duplicates,
        failed,
        duration_seconds,
      });
      return summary;
    } catch (error) {
      keepUpload = error instanceof JobCancelled && error.released;
      // Failed before the input was read as one source: say so, rather than leave only the "auto" asked for
      // (a failure to record it must not hide the import's own error).
      if (!header) await job.setDetails({ source: data.source === 'auto' ? 'unknown' : data.source }).catch(() => {});
      throw error;
    } finally {
      if (!keepUpload) await this.uploads.remove(data.input).catch(() => undefined);
    }
  }

  /** Records the source the input is read as with the job; refused when the target cannot take it. */
  private async sourceFound(header: ReadHeader, data: ImportJobData, job: JobContext): Promise<void> {
    await job.setDetails({ source: header.source, source_label: header.label });
    if (data.target === 'memory-dir' && !header.memoryDirFolder) {
      throw new ImportRejected(`${header.label} cannot be written to the memory directory; import it as memories`);
    }
  }

  /** An import cancelled before it ran: its upload goes now, as it would have at the import's end. */
  async discardUpload(data: ImportJobData): Promise<void> {
    await this.uploads.remove(data.input);
  }

  /** First pass: reads everything (refusing a malformed file before any write) and counts; a dry run also finds duplicates. */
  private async check(reader: ImportReader, name: string, data: ImportJobData, job: JobContext) {
    await job.progress(1, `checking ${name} (${reader.header.label})`);
    const counts = { documents: 0, items: 0, duplicates: 0, failed: 0, failures: [] as ImportSummary['failures'] };
    const seen = new Set<string>();
    const progress = throttle(PROGRESS_INTERVAL_MS);
    for await (const unit of reader.units()) {
      if (unit.kind === 'failure') {
        counts.failed++;
        if (counts.failures.length < LISTED_FAILURES) counts.failures.push(unit.failure);
        continue;
      }
      if (unit.kind === 'document') {
        counts.documents++;
        counts.items += unit.items;
      } else {
        counts.documents += unit.documents;
        counts.items += unit.items.length;
        if (data.dryRun) await this.dryRunItems(unit.items, seen, data.namespace, counts);
      }
      if (progress()) {
        await job.throwIfCancelled();
        await job.progress(
          2,
          `checked ${counted(counts.documents, 'document', 'documents')} (${counted(counts.items, 'memory', 'memories')})`,
        );
      }
    }
    return counts;
  }

  /**
   * What storing `items` would do, for a dry run: each item the store would refuse (the checks every write
   * passes: size, metadata, a created_at ahead of the clock) counted a failure as the real import lists it,
   * each other one already stored or earlier in the input counted a duplicate.
   */
  private async dryRunItems(
    items: ImportItem[],
    seen: Set<string>,
    namespace: string,
    counts: { duplicates: number; failed: number; failures: ImportSummary['failures'] },
  ): Promise<void> {
    for (const { memory, label } of items) {
      try {
        this.inNamespace(namespace, () => this.memories.checkNew(memory));
      } catch (error) {
        if (!isItemError(error)) throw error;
        counts.failed++;
        if (counts.failures.length < LISTED_FAILURES)
          counts.failures.push({ item: label, reason: (error as Error).message });
        continue;
      }
      const hash = contentHash(memory.content);
      if (seen.has(hash) || (await this.isStored(hash, namespace))) counts.duplicates++;
      seen.add(hash);
    }
  }

  private async isStored(hash: string, namespace: string): Promise<boolean> {
    try {
      await this.inNamespace(namespace, () => this.memories.get(hash));
      return true;
    } catch (error) {
      if (error instanceof MemoryNotFound) return false;
      throw error;
    }
  }

  /** Second pass: stores in batches, one transaction each, reporting progress and stopping when cancelled. */
  private async store(
    request: ReadRequest,
    data: ImportJobData,
    job: JobContext,
    summary: ImportSummary,
    total: number,
  ) {
    const failures = summary.failures;
    const readFailures = summary.failed;
    summary.duplicates = 0;
    let batch: ImportItem[] = [];
    let done = 0;
    const flush = async () => {
      await job.throwIfCancelled();
      const outcome = await this.storeBatch(batch, data.namespace);
      summary.stored += outcome.stored;
      summary.duplicates += outcome.duplicates;
      failures.push(...outcome.failures);
      done += batch.length;
      batch = [];
      await job.progress(
        3 + (96 * done) / Math.max(1, total),
        `stored ${summary.stored} of ${counted(total, 'memory', 'memories')} (${counted(summary.duplicates, 'duplicate', 'duplicates')})`,
      );
    };
    const batchSize = Math.min(BATCH_ITEMS, this.config.limits.maxBatchItems);
    const reader = await ImportReader.open(request);
    for await (const unit of reader.units()) {
      if (unit.kind !== 'items') continue; // failures were counted by the first pass
      for (const item of unit.items) {
        batch.push(item);
        if (batch.length >= batchSize) await flush();
      }
    }
    if (batch.length > 0) await flush();
    summary.failed = readFailures + failures.length - Math.min(readFailures, LISTED_FAILURES);
    summary.failures = failures.slice(0, LISTED_FAILURES);
  }

  /** A batch the store refuses as a whole (one item over a limit) is retried item by item to name the culprit. */
  private async storeBatch(batch: ImportItem[], namespace: string) {
    const result = { stored: 0, duplicates: 0, failures: [] as ImportSummary['failures'] };
    try {
      const outcomes = await this.inNamespace(namespace, () =>
        this.memories.storeMany(batch.map((item) => item.memory)),
      );
      for (const outcome of outcomes) {
        if (outcome.created) result.stored++;
        else result.duplicates++;
      }
      return result;
    } catch (error) {
      if (!isItemError(error) || batch.length === 1) {
        if (!isItemError(error)) throw error;
        result.failures.push({ item: batch[0].label, reason: (error as Error).message });
        return result;
      }
    }
    for (const item of batch) {
      const single = await this.storeBatch([item], namespace);
      result.stored += single.stored;
      result.duplicates += single.duplicates;
      result.failures.push(...single.failures);
    }
    return result;
  }

  private async writeMemoryDir(
    request: ReadRequest,
    header: ReadHeader,
    data: ImportJobData,
    job: JobContext,
    summary: ImportSummary,
  ) {
    await this.locks.writeMemoryDir(
      data.namespace,
      async () => {
        // The agent's memory as a local folder, as an agent run gets it; a dry run reads it and saves nothing.
        const workspace = await this.files.openWorkspace(data.namespace, 'import');
        try {
          await this.writeFiles(workspace, request, header, data, job, summary);
          if (!data.dryRun) await workspace.save();
        } finally {
          await workspace.close();
        }
      },
      jobLockWait(job, 3),
    );
  }

  /** One import's documents as markdown files in the agent memory folder of `workspace`, within its limits. */
  private async writeFiles(
    workspace: AgentFileWorkspace,
    request: ReadRequest,
    header: ReadHeader,
    data: ImportJobData,
    job: JobContext,
    summary: ImportSummary,
  ) {
    const target = new MemoryDirTarget(
      new MemoryDirectoryRepository(workspace.root, workspace.limits),
      { label: header.label, memoryDirFolder: header.memoryDirFolder! },
      data.dryRun,
    );
    let done = 0;
    const progress = throttle(PROGRESS_INTERVAL_MS);
    const reader = await ImportReader.open(request);
    for await (const unit of reader.units()) {
      if (unit.kind !== 'document') continue;
      await target.add(unit.document);
      done++;
      if (progress()) {
        await job.throwIfCancelled();
        await job.progress(
          3 + (96 * done) / Math.max(1, summary.documents),
          `wrote ${done} of ${counted(summary.documents, 'file', 'files')}`,
        );
      }
    }
    const outcome = await target.finish();
    summary.files_written = outcome.files;
    summary.stored = data.dryRun ? 0 : outcome.files.length;
    summary.failures = [...summary.failures, ...outcome.failures].slice(0, LISTED_FAILURES);
    summary.failed += outcome.failures.length;
  }

  private itemSettings(): ItemSettings {
    const { chunkChars, chunkOverlapChars } = this.config.imports;
    return { chunkChars, overlapChars: chunkOverlapChars, maxContentBytes: this.config.limits.maxContentBytes };
  }

  private inNamespace<T>(namespace: string, work: () => T): T {
    return runInContext(
      { principal: { kind: 'local', id: 'import', scopes: ['write'] }, namespace, clientAddress: 'local' },
      work,
    );
  }
}

/** Errors that belong to one memory (too large, refused) rather than to the whole import (an embedding outage). */
function isItemError(error: unknown): boolean {
  return error instanceof DomainError && error.status >= 400 && error.status < 500;
}

function finished(summary: ImportSummary, started: number): ImportSummary {
  const seconds = (Date.now() - started) / 1000;
  summary.duration_seconds = Math.round(seconds * 1000) / 1000;
  summary.items_per_second = seconds > 0 ? Math.round((summary.items_read / seconds) * 10) / 10 : 0;
  return summary;
}

function throttle(intervalMs: number): () => boolean {
  let last = 0;
  return () => {
    const now = Date.now();
    if (now - last < intervalMs) return false;
    last = now;
    return true;
  };
}
