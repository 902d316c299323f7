import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuditAction } from '../audit/audit-event';
import { AuditService } from '../audit/audit.service';
import { SqliteAuditRepository } from '../audit/sqlite-audit.repository';
import { AppConfig } from '../config/config.types';
import { EventBus } from '../events/event-bus';
import { LocalEventRelay } from '../events/local-event.relay';
import { InlineJobQueue } from '../jobs/inline-job.queue';
import { JobProcessors } from '../jobs/job-processor';
import { JobRunner } from '../jobs/job-runner';
import { JobName, JobView } from '../jobs/job.types';
import { EngramMetrics } from '../metrics/engram-metrics';
import { openSqliteDatabase } from '../storage/sqlite.connection';
import {
  actAsLocalOwnerOutsideRequests,
  currentContext,
  currentNamespace,
  LOCAL_OWNER,
  NoRequestContext,
  runInContext,
} from './request-context';

/** An in-process queue whose scans and backups report the namespace their code sees. */
function queueReportingNamespaces() {
  const processors = new JobProcessors();
  for (const name of [JobName.ConflictScan, JobName.Backup] as const) {
    processors.register({ name, process: async () => ({ namespace: currentNamespace() }) });
  }
  const metrics = new EngramMetrics();
  const events = new EventBus(new LocalEventRelay(), metrics);
  const auditDb = openSqliteDatabase(':memory:', {});
  const audit = new AuditService(new SqliteAuditRepository(auditDb), { audit: { retentionDays: 365 } } as AppConfig);
  const queue = new InlineJobQueue(new JobRunner(processors, events, metrics, audit), events, {
    maxWaiting: 10,
    maxWaitingPerNamespace: 10,
    keepFinishedPerNamespace: 200,
  });
  return { queue, audit };
}

async function finished(queue: InlineJobQueue, id: string): Promise<JobView> {
  for (let i = 0; i < 500; i++) {
    const job = await queue.get(id);
    if (job?.state === 'completed' || job?.state === 'failed') return job;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.fail(`job ${id} did not finish`);
}

/**
 * Code that runs with no request, job or command naming its caller fails instead of acting as the
 * database's owner on the default namespace (which a lost context used to mean, in the api and the worker).
 * The order of the cases matters: the last one makes this process the local owner's, as a CLI command does.
 */
describe('request context: fails closed outside requests', () => {
  it('refuses to name a caller or a namespace outside any context', () => {
    assert.throws(() => currentContext(), NoRequestContext);
    assert.throws(() => currentNamespace(), NoRequestContext);
    const team = { ...LOCAL_OWNER, namespace: 'team' };
    assert.equal(
      runInContext(team, () => currentNamespace()),
      'team',
    );
  });

  it("runs a namespace's job in that namespace, and a whole-store job in none", async () => {
    const { queue } = queueReportingNamespaces();
    await queue.start();
    try {
      const scan = await queue.enqueue(JobName.ConflictScan, { namespace: 'team' });
      const scanned = await finished(queue, scan.id);
      assert.equal(scanned.state, 'completed');
      assert.deepEqual(scanned.result, { namespace: 'team' });

      const backup = await queue.enqueue(JobName.Backup, { reason: 'manual' });
      const backedUp = await finished(queue, backup.id);
      assert.equal(backedUp.state, 'failed');
      assert.match(backedUp.error ?? '', /No request context/);
    } finally {
      await queue.close();
    }
  });

  it('records an action with no caller to name as the server’s, on the whole store, never failing it', async () => {
    const { audit } = queueReportingNamespaces();
    await audit.record({ action: AuditAction.Backup, outcome: 'requested', target: 'outside' });
    await runInContext({ ...LOCAL_OWNER, namespace: 'team' }, () =>
      audit.record({ action: AuditAction.Backup, outcome: 'requested', target: 'inside' }),
    );
    const { events } = await audit.find({ limit: 10 });
    const byTarget = Object.fromEntries(events.map((entry) => [entry.target, [entry.principal.id, entry.namespace]]));
    assert.deepEqual(byTarget, { outside: ['server', null], inside: ['local', 'team'] });
  });

  it('acts as the local owner outside requests once the process is declared the owner’s (CLI commands)', () => {
    actAsLocalOwnerOutsideRequests();
    assert.deepEqual(currentContext(), LOCAL_OWNER);
    assert.equal(
      runInContext({ ...LOCAL_OWNER, namespace: 'work' }, () => currentNamespace()),
      'work',
    );
  });
});
