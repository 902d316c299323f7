import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { E2eStorage } from './e2e-storage';
import { RunningEngram, serviceHelper, startEngram } from './engram-cli';
import { call, tempDir } from './process-harness';

const { startOpenAiEmbeddingsTestDouble, heldEmbeddingsEnv } = serviceHelper(
  'testing/openai-embeddings.test-double.js',
);
const { engramExport, engramExportMemory } = serviceHelper('testing/import-fixtures.js');

/** Memories in an import: batches of 64, the one holding HELD stays at the model until the api is killed. */
const MEMORIES = 200;
const HELD = 100;

/**
 * Api processes without Redis on one store of `storage`, keyed with `bootstrapKey`, embedding through a model
 * double that holds an import where a spec wants it, so the spec can kill (SIGKILL) or stop (SIGTERM) the
 * api running it mid-job; started and stopped by the before and after hooks it registers in the describe that calls it.
 */
export function killedApiSession(storage: E2eStorage, bootstrapKey: string) {
  const dir = tempDir();
  let model: any;
  let env: Record<string, string>;
  const apis: RunningEngram[] = [];
  const holds: { release(): void }[] = [];
  const admin = { 'X-API-Key': bootstrapKey };

  before(async () => {
    model = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'killed-api-model' });
    env = { ...(await storage.start(dir)), MCP_API_KEY: bootstrapKey, ...heldEmbeddingsEnv(model) };
  });
  after(async () => {
    for (const hold of holds) hold.release();
    await Promise.all(apis.map((api) => api.stop()));
    await model?.close();
    await storage.stop();
  });

  return {
    admin,
    /** The apis running now, in the order started. */
    apis,

    async serve(): Promise<RunningEngram> {
      const api = await startEngram('serve', env, dir, 'Engram ready');
      apis.push(api);
      return api;
    },

    /**
     * Stops `api` as an orchestrator does (SIGTERM): once it is releasing its running job, lets the held
     * import go on to its next safe point, where it stops. Answers the exit code.
     */
    async stopReleasing(api: RunningEngram): Promise<number | null> {
      const exited = api.stop('SIGTERM');
      await api.waitForOutput((output) => output.includes('Releasing the running job'), 60_000);
      for (const hold of holds) hold.release();
      const code = await exited;
      apis.splice(apis.indexOf(api), 1);
      return code;
    },

    /** A new key with the write scope in `namespace`, made through `api`; answers its headers. */
    async writerKey(api: RunningEngram, namespace: string): Promise<Record<string, string>> {
      const body = { name: `${namespace}-writer`, scopes: ['write'], namespace };
      const created = await call(api.url, 'POST', '/api/admin/keys', body, admin);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return { 'X-API-Key': created.body.key };
    },

    async kill(api: RunningEngram): Promise<void> {
      await api.stop('SIGKILL');
      apis.splice(apis.indexOf(api), 1);
    },

    /**
     * An import through `api` as `headers`' key (the bootstrap key's by default), running and held at the
     * model, so it cannot reach its next safe point; answers its id.
     */
    async heldImport(api: RunningEngram, label: string, headers: Record<string, string> = admin): Promise<string> {
      const content = (i: number) => `${label} memory number ${i}`;
      const hold = model.hold((texts: readonly string[]) => texts.some((text) => text.includes(content(HELD))));
      holds.push(hold);
      const form = new FormData();
      const memories = Array.from({ length: MEMORIES }, (_, i) => engramExportMemory(content(i)));
      form.append('file', new Blob([engramExport(memories)]), `${label}.ndjson`);
      const response = await fetch(`${api.url}/api/import`, { method: 'POST', body: form, headers });
      const body = (await response.json()) as { job_id: string };
      assert.equal(response.status, 202, JSON.stringify(body));
      await hold.arrived;
      return body.job_id;
    },
  };
}
