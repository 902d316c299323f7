import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client as PgClient } from 'pg';
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
