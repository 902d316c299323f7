import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client as PgClient } from 'pg';
import { E2eStorage, e2eStorages } from './e2e-storage';
import { RunningEngram, serviceHelper, startEngram } from './engram-cli';
import { call, tempDir } from './process-harness';

const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');
const { startTestPostgres } = serviceHelper('testing/postgres-test-server.js');
const { waitFor } = serviceHelper('testing/wait-for.js');

const API_KEY = 'e2e-acknowledged-key-0123456789abcdef';
const admin = { 'X-API-Key': API_KEY };

/**
 * Makes PostgreSQL refuse every audit entry as a lock timeout does (SQLSTATE 55P03, which Engram takes
 * as a busy store), while every other table takes writes; `refusals()` counts how often it refused.
 */
async function refuseAuditEntries(url: string) {
  const pg = new PgClient({ connectionString: url });
  await pg.connect();
  await pg.query(`
    CREATE SEQUENCE audit_refusals;
    CREATE FUNCTION refuse_audit_entry() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM nextval('audit_refusals');
      RAISE EXCEPTION 'canceling statement due to lock timeout' USING ERRCODE = '55P03';
    END $$;
    CREATE TRIGGER refuse_audit_entry BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_audit_entry();
  `);
  return {
    async refusals(): Promise<number> {
      const [row] = (await pg.query('SELECT last_value, is_called FROM audit_refusals')).rows;
      return row.is_called ? Number(row.last_value) : 0;
    },
    async allow(): Promise<void> {
      await pg.query('DROP TRIGGER IF EXISTS refuse_audit_entry ON audit_events');
    },
    close: () => pg.end(),
  };
}

describe('acknowledged writes survive a SIGKILL of the api right after the answer (PostgreSQL)', () => {
  const dir = tempDir();
  let postgres: any;
  let model: any;
  let env: Record<string, string>;
  const serve = () => startEngram('serve', env, dir, 'Engram ready');

  before(async () => {
    [postgres, model] = await Promise.all([
      startTestPostgres(),
      startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'acknowledged-model' }),
    ]);
    env = {
      MCP_API_KEY: API_KEY,
      MCP_MEMORY_STORAGE_BACKEND: 'postgres',
      DATABASE_URL: postgres.url,
      ENGRAM_EMBEDDING_PROVIDER: 'openai',
      MCP_EXTERNAL_EMBEDDING_URL: model.url,
      MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
    };
  });
  after(async () => {
    await model?.close();
    await postgres?.close();
  });

  it('a key created while the store refuses its audit entry is answered only once the entry is stored', async () => {
    let api: RunningEngram | undefined = await serve();
    const store = await refuseAuditEntries(postgres.url);
    try {
      const answer = call(api.url, 'POST', '/api/admin/keys', { name: 'made while busy', scopes: ['read'] }, admin);
      let answered = false;
      void answer.then(() => (answered = true));
      // The store is let take the entry only after refusing it twice (the write and one retry), unless
      // the key was answered before that: then the api is killed with the entry still refused.
      await waitFor(async () => answered || (await store.refusals()) >= 2, 'an answer or two refusals');
      if (!answered) await store.allow();
      const created = await answer;
      assert.equal(created.status, 201, JSON.stringify(created.body));
      await api.stop('SIGKILL');
      await store.allow();

      api = await serve();
      const log = await call(api.url, 'GET', '/api/admin/audit?action=key.create', undefined, admin);
      assert.equal(log.status, 200);
      assert.deepEqual(
        log.body.events.map((event: { target: string }) => event.target),
        [created.body.id],
        'the acknowledged key has its audit entry after the crash',
      );
    } finally {
      await store.close();
      await api?.stop();
    }
  });
});

for (const storage of e2eStorages()) {
  describe(`jobs answered 202 survive a SIGKILL of the api without Redis (${storage.name})`, () => {
    const apis = apisWithHeldModel(storage, 'acknowledged-jobs-model');

    it('a running and a waiting job are listed as interrupted after the restart, never unknown', async () => {
      // The import's embedding is held, so the import is running and the backup waits behind it when the api dies.
      const held = apis.model.hold((texts: readonly string[]) =>
        texts.some((text) => text.includes('being embedded when the api is killed')),
      );
      let api: RunningEngram | undefined = await apis.serve();
      try {
        const form = new FormData();
        form.append('file', new Blob(['# Cut off\n\nThis note is being embedded when the api is killed.']), 'cut.md');
        const upload = await fetch(`${api.url}/api/import`, { method: 'POST', body: form, headers: admin });
        const imported = (await upload.json()) as { job_id: string };
        assert.equal(upload.status, 202, JSON.stringify(imported));
        await held.arrived;
        const backup = await call(api.url, 'POST', '/api/admin/backup', undefined, admin);
        assert.equal(backup.status, 202, JSON.stringify(backup.body));
        await api.stop('SIGKILL');
        held.release();

        api = await apis.serve();
        const importJob = await call(api.url, 'GET', `/api/jobs/${imported.job_id}`, undefined, admin);
        const backupJob = await call(api.url, 'GET', `/api/jobs/${backup.body.job_id}`, undefined, admin);
        assert.deepEqual(
          [importJob.status, importJob.body.state, importJob.body.error_code],
          [200, 'failed', 'interrupted'],
          JSON.stringify(importJob.body),
        );
        assert.match(importJob.body.error, /while this job was running; request it again/);
        assert.deepEqual(
          [backupJob.status, backupJob.body.state, backupJob.body.error_code],
          [200, 'failed', 'interrupted'],
          JSON.stringify(backupJob.body),
        );
        assert.match(backupJob.body.error, /while this job was waiting/);
        const listed = await call(api.url, 'GET', '/api/jobs', undefined, admin);
        assert.deepEqual(
          listed.body.jobs.map((job: { id: string }) => job.id),
          [backup.body.job_id, imported.job_id],
        );
        const audit = await call(api.url, 'GET', '/api/admin/audit?action=import', undefined, admin);
        assert.deepEqual(
          audit.body.events.map((event: { outcome: string; target: string }) => [event.outcome, event.target]),
          [
            ['failure', imported.job_id],
            ['requested', imported.job_id],
          ],
        );

        // The restarted api runs and keeps new jobs as before.
        const again = await call(api.url, 'POST', '/api/admin/backup', undefined, admin);
        assert.equal(again.status, 202);
        await waitFor(
          async () =>
            (await call(api!.url, 'GET', `/api/jobs/${again.body.job_id}`, undefined, admin)).body.state ===
            'completed',
          'the new backup to complete',
        );
      } finally {
        held.release();
        await api?.stop();
      }
    });
  });

  // With PGlite (npm test) every connection shares one session, where advisory locks re-enter, so this shows
  // the survivor's part only; `npm run test:postgres` runs it on a real server, where the live api's lock holds.
  describe(`jobs of an api killed beside another api without Redis (${storage.name})`, () => {
    const apis = apisWithHeldModel(storage, 'survivor-jobs-model');

    it('the surviving api answers for them, then ends them as interrupted and audits each once', async () => {
      const held = apis.model.hold((texts: readonly string[]) =>
        texts.some((text) => text.includes('being embedded when its api is killed')),
      );
      const [dying, survivor] = [await apis.serve(), await apis.serve()];
      const jobOn = (api: RunningEngram, id: string) => call(api.url, 'GET', `/api/jobs/${id}`, undefined, admin);
      try {
        const form = new FormData();
        form.append('file', new Blob(['# Cut off\n\nThis note is being embedded when its api is killed.']), 'cut.md');
        const upload = await fetch(`${dying.url}/api/import`, { method: 'POST', body: form, headers: admin });
        const imported = (await upload.json()) as { job_id: string };
        assert.equal(upload.status, 202, JSON.stringify(imported));
        await held.arrived;
        const backup = await call(dying.url, 'POST', '/api/admin/backup', undefined, admin);
        assert.equal(backup.status, 202, JSON.stringify(backup.body));

        const running = await jobOn(survivor, imported.job_id);
        assert.deepEqual([running.status, running.body.state], [200, 'active'], 'the other api answers for it');
        await dying.stop('SIGKILL');
        held.release();

        await waitFor(
          async () => (await jobOn(survivor, imported.job_id)).body.state !== 'active',
          'the survivor to end the killed api’s running job',
        );
        const importJob = await jobOn(survivor, imported.job_id);
        assert.deepEqual(
          [importJob.status, importJob.body.state, importJob.body.error_code],
          [200, 'failed', 'interrupted'],
          JSON.stringify(importJob.body),
        );
        assert.match(importJob.body.error, /while this job was running; request it again/);
        const backupJob = await jobOn(survivor, backup.body.job_id);
        assert.deepEqual(
          [backupJob.body.state, backupJob.body.error_code],
          ['failed', 'interrupted'],
          JSON.stringify(backupJob.body),
        );
        assert.match(backupJob.body.error, /while this job was waiting/);
        const listed = await call(survivor.url, 'GET', '/api/jobs', undefined, admin);
        assert.deepEqual(
          listed.body.jobs.map((job: { id: string }) => job.id),
          [backup.body.job_id, imported.job_id],
          'listed by the survivor that took them over',
        );
        const audit = await call(survivor.url, 'GET', '/api/admin/audit?action=import', undefined, admin);
        assert.deepEqual(
          audit.body.events.map((event: { outcome: string; target: string }) => [event.outcome, event.target]),
          [
            ['failure', imported.job_id],
            ['requested', imported.job_id],
          ],
        );
      } finally {
        held.release();
        await dying.stop('SIGKILL');
        await survivor.stop();
      }
    });
  });
}

/** Registers a store and an embeddings test double for the describe around it; serve() starts an api on them. */
function apisWithHeldModel(storage: E2eStorage, modelName: string) {
  const dir = tempDir();
  let env: Record<string, string>;
  const apis = { model: undefined as any, serve: () => startEngram('serve', env, dir, 'Engram ready') };
  before(async () => {
    apis.model = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: modelName });
    env = {
      MCP_API_KEY: API_KEY,
      ENGRAM_EMBEDDING_PROVIDER: 'openai',
      MCP_EXTERNAL_EMBEDDING_URL: apis.model.url,
      MCP_EXTERNAL_EMBEDDING_MODEL: apis.model.model,
      ...(await storage.start(dir)),
    };
  });
  after(async () => {
    await storage.stop();
    await apis.model?.close();
  });
  return apis;
}
