import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { contextIfAny, Principal } from '../auth/request-context';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { isStoreBusy } from '../process/plain-failure';
import { AuditBacklog } from './audit-backlog';
import { AuditAction, AuditOutcome, AuditPage, AuditQuery, NewAuditEvent } from './audit-event';
import { AUDIT_REPOSITORY, AuditRepository } from './audit.repository';

const DAY_MS = 86_400_000;

/** An action recorded outside any request, job or command (a timer of the server's own): the server acted. */
const UNATTRIBUTED = { principal: { kind: 'local', id: 'server', scopes: [] } as Principal, clientAddress: 'local' };

/** What a service says happened; who, from where and when come from the request context. */
export interface AuditEntry {
  action: AuditAction;
  outcome: AuditOutcome;
  /** What was acted on: a key id, an OAuth client id, a job id, a backup id. */
  target?: string;
  /** The namespace acted in; null for the whole store; absent: the request's namespace. */
  namespace?: string | null;
  /** Small facts (ids, counts, scopes, paths); never secrets or memory content. */
  details?: Record<string, unknown>;
  /** Who acted, when it is not the request's caller (the job runner, the operator signing in on a form). */
  actor?: { principal: Principal; clientAddress: string };
}

/**
 * The audit log of security-relevant actions: key changes, OAuth approvals and sign-in failures,
 * backups, restores, reindexing, imports, deletes (one memory by hash, or by filter), restores and purges
 * from the trash, and agent runs that changed files. Services call and await `record` where the action
 * happens, before they answer: the answer waits until the entry is stored. An entry a busy store refuses is
 * written again once the store allows (AuditBacklog), with the time the action happened, and the action
 * waits for that too; an entry that is never stored is logged, and its action answers the store's error (a
 * busy store's 503) instead of a success.
 */
@Injectable()
export class AuditService implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger('Audit');
  private pruning: NodeJS.Timeout | undefined;
  private readonly backlog = new AuditBacklog({
    write: (event) => this.repository.append(event),
    lost: (events, reason) => {
      for (const event of events) this.reportLost(event, reason);
    },
  });

  constructor(
    @Inject(AUDIT_REPOSITORY) private readonly repository: AuditRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Stores the entry; resolves once it is stored, so the action can answer success only then (a crash
   * after the answer cannot take it). An entry a busy store refused waits in the backlog until the store
   * takes it. Rejects, after logging the entry as not stored, when it never will be: the action then
   * answers the store's error rather than a success the log does not show.
   */
  async record(entry: AuditEntry): Promise<void> {
    const event = this.eventFor(entry);
    try {
      await this.repository.append(event);
    } catch (error) {
      if (!isStoreBusy(error)) {
        this.reportLost(event, (error as Error).message);
        throw error;
      }
      // Not an error yet: the store takes it once its holder is done, and the action waits for that.
      this.logger.debug({ msg: 'audit entry deferred: the store is busy', action: event.action });
      await this.backlog.add(event, error as Error);
    }
  }

  find(query: AuditQuery): Promise<AuditPage> {
    return this.repository.find(query);
  }

  /** Drops entries older than ENGRAM_AUDIT_RETENTION_DAYS (0 keeps them all); resolves with how many. */
  async prune(now = Date.now()): Promise<number> {
    const days = this.config.audit.retentionDays;
    return days === 0 ? 0 : this.repository.pruneBefore(now - days * DAY_MS);
  }

  onModuleInit(): void {
    const prune = () =>
      void this.prune().catch((error: Error) =>
        this.logger.warn({ msg: 'audit pruning failed', error: error.message }),
      );
    prune();
    this.pruning = setInterval(prune, DAY_MS);
    this.pruning.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.pruning);
  }

  /** Before the store closes: the entries a busy store refused get their last chance. */
  beforeApplicationShutdown(): Promise<void> {
    return this.backlog.flush();
  }

  private eventFor(entry: AuditEntry): NewAuditEvent {
    const context = contextIfAny();
    const { principal, clientAddress } = entry.actor ?? context ?? UNATTRIBUTED;
    return {
      at: Date.now(),
      action: entry.action,
      outcome: entry.outcome,
      principal: { kind: principal.kind, id: principal.id, name: principal.name ?? null },
      namespace: entry.namespace === undefined ? (context?.namespace ?? null) : entry.namespace,
      clientAddress,
      target: entry.target ?? null,
      details: entry.details ?? {},
    };
  }

  private reportLost(event: NewAuditEvent, reason: string): void {
    this.logger.error({ msg: 'audit entry not stored', action: event.action, at: event.at, error: reason });
  }
}
