import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { e2eStorages } from './e2e-storage';
import { DIST, RunningEngram, serviceHelper, startEngram } from './engram-cli';
import { call, freePort, inheritedEnv, tempDir } from './process-harness';

const { startTestRedis } = serviceHelper('testing/redis-server.js');
const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');

/** Every third second: cron-parser (ours and BullMQ's) reads a leading seconds field. */
const EVERY_3_S = '*/3 * * * * *';
const TICK_MS = 3000;
/** Ticks to watch: enough that a process firing its own copy of the schedule shows up several times. */
const TICKS = 4;

interface JobView {
  id: string;
  name: string;
  state: string;
  data: { reason?: string };
  result?: { backup_id?: string };
  error?: string;
  attempts: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function backupIds(url: string): Promise<string[]> {
  const response = await call(url, 'GET', '/api/admin/backups');
  assert.equal(response.status, 200);
  return response.body.backups.map((backup: { backup_id: string }) => backup.backup_id);
}

async function waitForBackups(url: string, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await backupIds(url)).length < count) {
    assert.ok(Date.now() < deadline, `fewer than ${count} backups after ${timeoutMs} ms`);
    await sleep(200);
  }
}

async function jobs(url: string): Promise<JobView[]> {
  const response = await call(url, 'GET', '/api/jobs?limit=200');
  assert.equal(response.status, 200);
  return response.body.jobs;
}

/** The cron time a scheduled job was queued for, which both adapters put at the end of its id. */
function tickOf(job: JobView): number {
  const match = /[-:](\d{13})$/.exec(job.id);
  assert.ok(match, `scheduled job id ${job.id} carries its time`);
  return Number(match[1]);
}

/**
 * Each tick fired once: no two scheduled backup jobs share a cron time, every backup on disk is the
 * result of one of them (none made outside the queue), and the ticks are the schedule's own.
 */
/** What the api that runs the in-process schedules logs (ScheduleOwner), once it holds the schedule lock. */
const SCHEDULES_OWNED = 'This process runs the job schedules';

function assertOneBackupPerTick(scheduled: JobView[], backups: string[]): void {
  // Any state counts: a second job for a tick is a second firing even when its backup failed.
  const fired = scheduled.map(tickOf);
  const repeated = fired.filter((tick, i) => fired.indexOf(tick) !== i);
  assert.deepEqual(
    repeated.map((tick) => new Date(tick).toISOString()),
    [],
    'ticks that fired more than once',
  );
  const completed = scheduled.filter((job) => job.state === 'completed');
  const ticks = completed.map(tickOf);
  assert.ok(ticks.length >= TICKS, `${ticks.length} scheduled backups`);
  assert.ok(
    ticks.every((tick) => tick % TICK_MS === 0),
    'jobs queued at the cron times',
  );
  const made = completed.map((job) => job.result?.backup_id).sort();
  assert.deepEqual([...backups].sort(), made, 'every backup is the one backup of its tick');
}

/**
 * The apis' scheduled backup jobs and the backups on disk, read between ticks: the backups and the
 * completed jobs name the same backups (a tick that ends while they are read is read again).
 */
async function settled(
  apis: RunningEngram[],
): Promise<{ perApi: JobView[][]; scheduled: JobView[]; backups: string[] }> {
  for (let attempt = 0; ; attempt++) {
    const backups = await backupIds(apis[0].url);
    const perApi = await Promise.all(
      apis.map(async (api) =>
        (await jobs(api.url)).filter((job) => job.name === 'backup' && job.data.reason === 'scheduled'),
      ),
    );
    // Every api lists every api's jobs on the store (as last stored): each job once, as the first api has it.
    const byId = new Map<string, JobView>();
    for (const job of perApi.flat()) if (!byId.has(job.id)) byId.set(job.id, job);
    const scheduled = [...byId.values()];
    const made = scheduled.filter((job) => job.state === 'completed').map((job) => job.result?.backup_id);
    const again = await backupIds(apis[0].url);
    const quiet =
      again.length === backups.length && made.length === backups.length && backups.every((id) => made.includes(id));
    if (quiet || attempt === 50) return { perApi, scheduled, backups };
    await sleep(100);
  }
}

for (const storage of e2eStorages()) {
  describe(`scheduled backups with Redis: two apis and two workers on one store (${storage.name})`, () => {
    const dir = tempDir();
    let redis: any;
    let model: any;
    let store: Record<string, string>;
    const processes: RunningEngram[] = [];

    before(async () => {
      redis = await startTestRedis();
      store = await storage.start(dir);
      model = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'schedule-model' });
    });
    after(async () => {
      for (const process of processes.reverse()) await process.stop('SIGKILL');
      await model?.close();
      await redis?.close();
      await storage.stop();
    });

    it('creates one backup per cron tick, whichever worker takes it', async () => {
      const env = {
        REDIS_URL: redis.url,
        ...store,
        ENGRAM_EMBEDDING_PROVIDER: 'openai',
        MCP_EXTERNAL_EMBEDDING_URL: model.url,
        MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
        MCP_BACKUP_SCHEDULE: EVERY_3_S,
        MCP_BACKUP_MAX_COUNT: '1000',
      };
      const [apiA, apiB] = [
        await startEngram('serve', { ...env, MCP_HTTP_PORT: String(await freePort()) }, dir, 'Engram ready'),
        await startEngram('serve', { ...env, MCP_HTTP_PORT: String(await freePort()) }, dir, 'Engram ready'),
      ];
      processes.push(apiA, apiB);
      const workers = [
        await startEngram('worker', { ...env, WORKER_HTTP_PORT: String(await freePort()) }, dir, 'Engram worker ready'),
        await startEngram('worker', { ...env, WORKER_HTTP_PORT: String(await freePort()) }, dir, 'Engram worker ready'),
      ];
      processes.push(...workers);
      assert.equal((await call(apiA.url, 'POST', '/api/memories', { content: 'backed up every tick' })).status, 201);

      await waitForBackups(apiB.url, TICKS, 40 * TICK_MS);
      // No more ticks run once both workers stopped (each finishes or hands back its job first).
      for (const worker of workers) assert.equal(await worker.stop(), 0);

      const scheduled = (await jobs(apiA.url)).filter(
        (job) => job.name === 'backup' && job.data.reason === 'scheduled',
      );
      assertOneBackupPerTick(scheduled, await backupIds(apiA.url));
      // Both apis see the one queue: neither ran a schedule of its own.
      assert.deepEqual(
        (await jobs(apiB.url)).map((job) => job.id),
        (await jobs(apiA.url)).map((job) => job.id),
      );
    });
  });
}

// SQLite only: the PGlite test server multiplexes every connection onto one session, where advisory
// locks re-enter, so it cannot show two processes contending for the PostgreSQL schedule lock.
describe('scheduled backups without Redis: two apis on one SQLite file', () => {
  const dir = tempDir();
  let model: any;
  const processes: RunningEngram[] = [];

  before(async () => {
    model = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'schedule-model' });
  });
  let mcp: ChildProcess | undefined;
  after(async () => {
    for (const process of processes) await process.stop('SIGKILL');
    mcp?.kill('SIGKILL');
    await model?.close();
  });

  it('runs the schedule in one api only (never engram mcp), and the other api takes it over when that one stops', async () => {
    const env = {
      MCP_MEMORY_SQLITE_PATH: join(dir, 'engram.db'),
      ENGRAM_EMBEDDING_PROVIDER: 'openai',
      MCP_EXTERNAL_EMBEDDING_URL: model.url,
      MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
      MCP_BACKUP_SCHEDULE: EVERY_3_S,
      MCP_BACKUP_MAX_COUNT: '1000',
    };
    // `engram mcp` on the same file, with the same settings and started first: it must schedule nothing.
    mcp = spawn(process.execPath, [join(DIST, 'cli', 'engram.js'), 'mcp'], {
      cwd: dir,
      env: { ...inheritedEnv(), HOME: dir, LOG_LEVEL: 'info', ...env },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let mcpLog = '';
    mcp.stderr!.on('data', (chunk) => (mcpLog += chunk));
    while (!mcpLog.includes('Engram MCP server on stdio')) {
      assert.equal(mcp.exitCode, null, mcpLog);
      await once(mcp.stderr!, 'data');
    }
    const apis = [
      await startEngram('serve', { ...env, MCP_HTTP_PORT: String(await freePort()) }, dir, 'Engram ready'),
      await startEngram('serve', { ...env, MCP_HTTP_PORT: String(await freePort()) }, dir, 'Engram ready'),
    ];
    processes.push(...apis);
    assert.equal((await call(apis[0].url, 'POST', '/api/memories', { content: 'backed up every tick' })).status, 201);
    await waitForBackups(apis[1].url, TICKS, 40 * TICK_MS);

    // The apis list the jobs stored by either (`engram mcp` stores none): every backup on disk is one of them.
    const first = await settled(apis);
    assertOneBackupPerTick(first.scheduled, first.backups);
    assert.equal(mcp.exitCode, null, 'engram mcp ran all along');
    assert.ok(!mcpLog.includes(SCHEDULES_OWNED), 'engram mcp never runs the schedule');
    const owners = apis.map((api) => api.output().includes(SCHEDULES_OWNED));
    assert.equal(owners.filter(Boolean).length, 1, `one api runs the schedule (apis that said so: ${owners})`);

    // The owner stops: the other api takes the schedule over and the ticks go on, still once each.
    const owner = apis[owners.indexOf(true)];
    const survivor = apis[owners.indexOf(false)];
    assert.equal(await owner.stop(), 0);
    const made = (await backupIds(survivor.url)).length;
    await waitForBackups(survivor.url, made + 2, 40 * TICK_MS);
    const second = await settled([survivor]);
    const earlier = new Set(first.backups);
    const taken = second.scheduled.filter((job) => job.state === 'completed' && !earlier.has(job.result!.backup_id!));
    assert.ok(taken.length >= 2, 'the survivor runs the schedule now');
    // The survivor lists the stopped owner's jobs too, the same jobs under the same ids: a tick fired by
    // both, or twice by one, is a tick with two backups.
    const backupsOfTick = new Map<number, Set<string>>();
    for (const job of [...first.scheduled, ...second.scheduled].filter((job) => job.state === 'completed')) {
      backupsOfTick.set(tickOf(job), (backupsOfTick.get(tickOf(job)) ?? new Set()).add(job.result!.backup_id!));
    }
    assert.deepEqual(
      [...backupsOfTick].filter(([, backups]) => backups.size > 1).map(([tick]) => new Date(tick).toISOString()),
      [],
      'ticks fired by both the owner and its successor',
    );
    for (const job of taken) assert.ok(second.backups.includes(job.result!.backup_id!), `${job.id} left its backup`);
  });
});

describe('graceful worker shutdown with Redis: two workers on one store', () => {
  const dir = tempDir();
  const MEMORIES = 2000;
  let redis: any;
  let modelA: any;
  let modelB: any;
  const processes: RunningEngram[] = [];

  before(async () => {
    redis = await startTestRedis();
    modelA = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'model-a' });
    modelB = await startOpenAiEmbeddingsTestDouble({ dimension: 24, model: 'model-b' });
  });
  after(async () => {
    for (const process of processes) await process.stop('SIGKILL');
    await modelA?.close();
    await modelB?.close();
    await redis?.close();
  });

  it('hands a running reindex back to the queue on SIGTERM, and the other worker completes it', async () => {
    const env = {
      REDIS_URL: redis.url,
      MCP_MEMORY_SQLITE_PATH: join(dir, 'engram.db'),
      ENGRAM_EMBEDDING_PROVIDER: 'openai',
      // The swap to the new model can hold the write lock a while on a loaded runner.
      MCP_MEMORY_SQLITE_PRAGMAS: 'busy_timeout=30000',
    };
    const withModel = (model: any) => ({
      MCP_EXTERNAL_EMBEDDING_URL: model.url,
      MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
    });
    const api = await startEngram(
      'serve',
      { ...env, ...withModel(modelA), MCP_HTTP_PORT: String(await freePort()) },
      dir,
      'Engram ready',
    );
    processes.push(api);
    for (let start = 0; start < MEMORIES; start += 1000) {
      const memories = Array.from({ length: 1000 }, (_, i) => ({ content: `memory ${start + i}` }));
      assert.equal((await call(api.url, 'POST', '/api/memories/batch', { memories })).body.stored, 1000);
    }
    // Small embedding batches: the reindex has many safe points and lasts long enough to interrupt.
    const startWorker = async () =>
      startEngram(
        'worker',
        { ...env, ...withModel(modelB), ENGRAM_EMBEDDING_BATCH_SIZE: '2', WORKER_HTTP_PORT: String(await freePort()) },
        dir,
        'Engram worker ready',
      );
    const workers = [await startWorker(), await startWorker()];
    processes.push(...workers);

    const queued = await call(api.url, 'POST', '/api/admin/reindex');
    assert.equal(queued.status, 202);
    const id: string = queued.body.job_id;
    const runs = (worker: RunningEngram) => worker.output().includes(`"job":"${id}"`);
    const deadline = Date.now() + 60_000;
    let job = (await call(api.url, 'GET', `/api/jobs/${id}`)).body;
    while (!(job.state === 'active' && job.progress > 0 && workers.some(runs))) {
      assert.ok(Date.now() < deadline, `job still ${job.state} at ${job.progress}%`);
      await sleep(20);
      job = (await call(api.url, 'GET', `/api/jobs/${id}`)).body;
    }
    const first = workers.find(runs)!;
    const second = workers.find((worker) => worker !== first)!;
    assert.ok(!runs(second), 'one worker runs the job');

    assert.equal(await first.stop('SIGTERM'), 0);
    assert.match(first.output(), /Job released at shutdown/);
    assert.doesNotMatch(first.output(), /"msg":"Job (failed|cancelled)"/);

    const finishBy = Date.now() + 120_000;
    for (;;) {
      job = (await call(api.url, 'GET', `/api/jobs/${id}`)).body;
      if (['completed', 'failed', 'cancelled'].includes(job.state)) break;
      assert.ok(Date.now() < finishBy, `job still ${job.state} (${job.stage}) after the handover`);
      await sleep(100);
    }
    assert.equal(job.state, 'completed', job.error);
    assert.equal(job.error, undefined);
    // Continued from what the first worker had staged, by the other worker.
    assert.equal(job.result.resumed, true);
    assert.equal(job.result.model, 'openai:model-b');
    assert.match(second.output(), new RegExp(`"msg":"Job completed","job":"${id}"`));
  });
});
