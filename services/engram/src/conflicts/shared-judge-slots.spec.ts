import { ConsoleLogger, Logger } from '@nestjs/common';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, afterEach, before, describe, it } from 'node:test';
import { AppConfig, PostgresConfig } from '../config/config.types';
import { RedisKeys } from '../config/redis-keys';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { EngramMetrics } from '../metrics/engram-metrics';
import { PostgresSlotLeases } from '../storage/postgres/postgres-slot-leases';
import { openPostgresDatabase } from '../storage/postgres/postgres.connection';
import { PostgresDatabase } from '../storage/postgres/postgres.database';
import { SlotLeases } from '../storage/slot-leases';
import { copyLiveDatabase } from '../storage/sqlite-file/database-snapshot';
import { swapInDatabase } from '../storage/sqlite-file/database-swap';
import { openSqliteStores, SqliteStores } from '../storage/sqlite/sqlite.stores';
import { readBody } from '../testing/test-double-http';
import { startTestPostgres, TestPostgres } from '../testing/postgres-test-server';
import { startTestRedis, TestRedis } from '../testing/redis-server';
import { waitFor } from '../testing/wait-for';
import { ConflictJudgeService } from './conflict-judge.service';
import { JudgeSlots } from './judge-slots';
import { LeasedSlotGate } from './leased-slot-gate';
import { RedisSlotLeases } from './redis-slot-leases';

const SIZE = 2;
const VERDICT = JSON.stringify({ choices: [{ message: { content: '{"verdict": "contradiction", "reason": "r"}' } }] });

/**
 * An OpenAI-compatible judge on loopback that records how many requests it has in flight at once and the
 * order they came in (by the newer statement). It answers after `answerAfterMs`, except requests whose
 * statement starts with "hold", which it holds until their client goes away, and, once `answerOnCue` is
 * called, every request until `answerNext` answers the oldest held one (`answerAll` ends the cue).
 */
async function startJudge(answerAfterMs = 100) {
  const arrivals: string[] = [];
  let cued: (() => void)[] | undefined;
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer(async (request, response) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let ended = false;
    response.once('close', () => {
      if (!ended) inFlight -= 1;
      ended = true;
    });
    const body = JSON.parse(await readBody(request)) as { messages: { content: string }[] };
    const statement = /Newer: (.*)/.exec(body.messages.at(-1)!.content)?.[1] ?? body.messages.at(-1)!.content;
    arrivals.push(statement);
    if (statement.startsWith('hold')) return;
    const answer = () => response.writeHead(200, { 'content-type': 'application/json' }).end(VERDICT);
    if (cued) cued.push(answer);
    else setTimeout(answer, answerAfterMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    arrivals,
    inFlight: () => inFlight,
    maxInFlight: () => maxInFlight,
    answerOnCue: () => void (cued ??= []),
    answerNext: () => cued?.shift()?.(),
    answerAll() {
      for (const answer of cued?.splice(0) ?? []) answer();
      cued = undefined;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const replicas: ConflictJudgeService[] = [];

/**
 * A replica's judge, started as Nest starts it: ENGRAM_CONFLICTS_JUDGE_CONCURRENCY of `concurrency`, its
 * slots shared through `leases`.
 */
async function judgeReplica(url: string, leases: SlotLeases, concurrency = SIZE): Promise<ConflictJudgeService> {
  const judge = {
    baseUrl: url,
    provider: 'openai_compatible',
    model: 'judge',
    timeoutMs: 60_000,
    concurrency,
    maxWaitingPerNamespace: 100,
  };
  const replica = new ConflictJudgeService(
    { conflicts: { judge } } as unknown as AppConfig,
    new EngramMetrics(),
    leases,
  );
  replicas.push(replica);
  await replica.onModuleInit();
  return replica;
}

/** Every warning any Nest logger writes, as the objects they were given, until `stop`. */
function captureWarnings() {
  const warnings: Record<string, unknown>[] = [];
  const quiet = () => undefined;
  Logger.overrideLogger({
    log: quiet,
    error: quiet,
    debug: quiet,
    verbose: quiet,
    warn: (message: unknown) => void warnings.push(message as Record<string, unknown>),
  });
  return { warnings, stop: () => Logger.overrideLogger(new ConsoleLogger()) };
}

/** One judge request, as a bare JudgeSlots task: the statement in the shape judgeMessages gives it. */
async function ask(url: string, statement: string): Promise<void> {
  const body = JSON.stringify({ messages: [{ role: 'user', content: `Older: x\nNewer: ${statement}` }] });
  const response = await fetch(`${url}/chat/completions`, { method: 'POST', body });
  await response.text();
}

/** Counts the claims `leases` refused: proof that a replica asked and found every slot held. */
function countingRefusals(leases: SlotLeases) {
  const counted = {
    refused: 0,
    claim: async (...args: Parameters<SlotLeases['claim']>) => {
      const claim = await leases.claim(...args);
      if (!claim.held) counted.refused += 1;
      return claim;
    },
    attend: (...args: Parameters<SlotLeases['attend']>) => leases.attend(...args),
    leave: (...args: Parameters<SlotLeases['leave']>) => leases.leave(...args),
    renew: (...args: Parameters<SlotLeases['renew']>) => leases.renew(...args),
    release: (...args: Parameters<SlotLeases['release']>) => leases.release(...args),
  };
  return counted;
}

/** Where the shared slots live, as this process and a child process each build their SlotLeases. */
type SharedPlace =
  | { kind: 'redis'; url: string; prefix: string }
  | { kind: 'postgres'; settings: PostgresConfig }
  | { kind: 'sqlite'; path: string };

interface DyingReplica {
  /** Its limit (ENGRAM_CONFLICTS_JUDGE_CONCURRENCY). */
  limit: number;
  /** Judgements it sends, which the judge holds. */
  holding: number;
  leaseMs: number;
}

/**
 * A replica in a process of its own (plain node, loading the built code) that joins the shared slots
 * with its limit and sends judgements the judge holds; started once it has joined. Killed with SIGKILL,
 * it never gives its slots back nor leaves.
 */
async function dyingReplica(place: SharedPlace, judgeUrl: string, { limit, holding, leaseMs }: DyingReplica) {
  const dist = (path: string) => JSON.stringify(join(__dirname, '..', path));
  const script = `
    const { JudgeSlots } = require(${dist('conflicts/judge-slots.js')});
    const { LeasedSlotGate } = require(${dist('conflicts/leased-slot-gate.js')});
    const place = ${JSON.stringify(place)};
    let leases;
    if (place.kind === 'redis') {
      const { RedisSlotLeases } = require(${dist('conflicts/redis-slot-leases.js')});
      const { RedisKeys } = require(${dist('config/redis-keys.js')});
      leases = new RedisSlotLeases(place.url, new RedisKeys(place.prefix));
    } else if (place.kind === 'postgres') {
      const { PostgresSlotLeases } = require(${dist('storage/postgres/postgres-slot-leases.js')});
      const { PostgresDatabase } = require(${dist('storage/postgres/postgres.database.js')});
      leases = new PostgresSlotLeases(new PostgresDatabase(place.settings));
    } else {
      const { openSqliteStores } = require(${dist('storage/sqlite/sqlite.stores.js')});
      const { DEFAULT_PRAGMAS } = require(${dist('config/sqlite-pragmas.js')});
      leases = openSqliteStores({ path: place.path, pragmas: DEFAULT_PRAGMAS }).slotLeases;
    }
    const gate = new LeasedSlotGate(leases, 'conflict-judge', ${limit}, { leaseMs: ${leaseMs}, pollMs: 50 });
    const slots = new JudgeSlots({ size: ${limit}, maxWaitingPerNamespace: 100 }, undefined, gate);
    gate.join().then(() => {
      console.log('joined');
      for (let i = 0; i < ${holding}; i++) {
        const body = JSON.stringify({ messages: [{ role: 'user', content: 'Older: x\\nNewer: hold dying ' + i }] });
        slots.run('dying', () => fetch(${JSON.stringify(judgeUrl)} + '/chat/completions', { method: 'POST', body }));
      }
      setInterval(() => undefined, 60_000); // alive until killed, holding or not
    });
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  for await (const line of createInterface({ input: child.stdout })) if (line === 'joined') break;
  return {
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

/** The cases every shared store must pass: `open` gives one replica's own connection to it. */
function sharedSlotCases(open: () => SlotLeases, place: () => SharedPlace, closeAll: () => Promise<void>) {
  // A replica left joined would hold the next case's replicas to its limit.
  afterEach(async () => {
    await Promise.all(replicas.splice(0).map((replica) => replica.onModuleDestroy()));
  });
  after(closeAll);

  it('two replicas bursting at once never have more than ENGRAM_CONFLICTS_JUDGE_CONCURRENCY requests at the judge', async () => {
    const judge = await startJudge();
    try {
      const [a, b] = [await judgeReplica(judge.url, open()), await judgeReplica(judge.url, open())];
      judge.answerOnCue(); // until both slots are taken: answered on a timer, a loaded machine may never overlap two
      const judgements = ['a', 'b'].flatMap((replica) =>
        Array.from({ length: 12 }, (_, i) =>
          (replica === 'a' ? a : b).judge(`${replica}-ns${i % 3}`, 'older', `${replica} ${i}`),
        ),
      );
      await waitFor(() => judge.inFlight() >= SIZE, 'the judgements to take both slots');
      judge.answerAll();
      const verdicts = await Promise.all(judgements);
      assert.deepEqual(new Set(verdicts.map(({ verdict }) => verdict)), new Set(['contradiction']));
      assert.equal(judge.arrivals.length, 24);
      assert.equal(judge.maxInFlight(), SIZE, `at most ${SIZE} in flight across both replicas, and both slots used`);
    } finally {
      await judge.stop();
    }
  });

  it("a burst of one namespace on one replica delays another replica's judgement by a turn, not the burst", async () => {
    const judge = await startJudge();
    try {
      const teamLeases = countingRefusals(open());
      const [bulk, team] = [await judgeReplica(judge.url, open()), await judgeReplica(judge.url, teamLeases)];
      // Slots free only when the judge is told to answer, and the next one is not answered before the freed
      // slot's request arrived: the arrivals' order is the order the slots were given in, however slowly a
      // loaded machine carries each request to the judge (answering on a timer, the team's first request
      // once arrived after five of the burst's while its slot was given third).
      judge.answerOnCue();
      const burst = Array.from({ length: 16 }, (_, i) => bulk.judge('bulk', 'older', `bulk ${i}`));
      await waitFor(() => judge.inFlight() === SIZE, 'the burst to take both slots');
      const single = team.judge('team', 'older', 'team 0');
      await waitFor(() => teamLeases.refused >= 1, 'the team replica to wait in line');
      while (!judge.arrivals.includes('team 0') && judge.arrivals.length < 16) {
        const arrived = judge.arrivals.length;
        judge.answerNext();
        await waitFor(() => judge.arrivals.length > arrived, 'the freed slot to be taken');
      }
      judge.answerAll();
      assert.equal((await single).verdict, 'contradiction');
      await Promise.all(burst);
      const before = judge.arrivals.indexOf('team 0');
      assert.ok(before <= SIZE + 2, `team's judgement came after ${before} of the burst's: ${judge.arrivals}`);
      assert.equal(judge.maxInFlight(), SIZE);
    } finally {
      await judge.stop();
    }
  });

  it('a replica that dies holding slots gives them back once their leases run out', async () => {
    const judge = await startJudge();
    const dying = await dyingReplica(place(), judge.url, { limit: SIZE, holding: SIZE, leaseMs: 1500 });
    const leases = countingRefusals(open());
    const gate = new LeasedSlotGate(leases, 'conflict-judge', SIZE, { leaseMs: 1500, pollMs: 50 });
    try {
      await waitFor(() => judge.inFlight() === SIZE, "the dying replica's judgements to hold both slots");
      const survivor = new JudgeSlots({ size: SIZE, maxWaitingPerNamespace: 100 }, undefined, gate);
      const judgement = survivor.run('team', () => ask(judge.url, 'survivor 0'));
      await waitFor(
        () => leases.refused >= 2 || judge.arrivals.includes('survivor 0'),
        'the survivor to find the slots held',
      );
      assert.ok(!judge.arrivals.includes('survivor 0'), 'no third request while the other replica holds both slots');

      await dying.kill();
      await judgement;
      assert.deepEqual(judge.arrivals.slice(0, SIZE).sort(), ['hold dying 0', 'hold dying 1']);
      assert.equal(judge.arrivals[SIZE], 'survivor 0', 'the survivor judged once the dead replica stopped renewing');
      assert.equal(judge.maxInFlight(), SIZE);
    } finally {
      await gate.leave();
      await dying.kill();
      await judge.stop();
    }
  });

  it('replicas configured with limits 2 and 4 never have more than 2 requests at the judge, and the other one says so once', async () => {
    const judge = await startJudge();
    const { warnings, stop } = captureWarnings();
    try {
      const [small, large] = [await judgeReplica(judge.url, open(), 2), await judgeReplica(judge.url, open(), 4)];
      // The large one alone bursts while the small one judges nothing, then both judge.
      judge.answerOnCue(); // until two slots are taken: answered on a timer, a loaded machine may never overlap two
      const burst = Array.from({ length: 12 }, (_, i) => large.judge(`large-ns${i % 3}`, 'older', `large ${i}`));
      await waitFor(() => judge.inFlight() >= 2, 'the burst to take two slots');
      judge.answerAll();
      await waitFor(() => judge.arrivals.length >= 4, 'part of the burst to be judged');
      const few = Array.from({ length: 4 }, (_, i) => small.judge('small', 'older', `small ${i}`));
      const verdicts = await Promise.all([...burst, ...few]);
      assert.deepEqual(new Set(verdicts.map(({ verdict }) => verdict)), new Set(['contradiction']));
      assert.equal(judge.maxInFlight(), 2, 'the smallest limit of the live replicas holds for all of them');
      assert.deepEqual(
        warnings.map(({ agreed, limit }) => ({ agreed, limit })),
        [{ agreed: 2, limit: 4 }],
        'the large replica told once that it judges with fewer slots than its own',
      );
    } finally {
      stop();
      await judge.stop();
    }
  });

  it('a replica with a smaller limit that dies stops holding the others to it once its lease runs out', async () => {
    const judge = await startJudge();
    const small = await dyingReplica(place(), judge.url, { limit: 2, holding: 0, leaseMs: 1500 });
    const leases = countingRefusals(open());
    const gate = new LeasedSlotGate(leases, 'conflict-judge', 4, { leaseMs: 1500, pollMs: 50 });
    const large = new JudgeSlots({ size: 4, maxWaitingPerNamespace: 100 }, undefined, gate);
    try {
      await gate.join();
      for (let i = 0; i < 4; i++)
        void large.run('team', () => ask(judge.url, `hold large ${i}`)).catch(() => undefined);
      await waitFor(() => leases.refused >= 2 || judge.inFlight() > 2, 'the large replica to find its slots held');
      assert.equal(judge.inFlight(), 2, 'two requests while the replica with a limit of 2 lives');

      await small.kill();
      await waitFor(() => judge.inFlight() === 4, 'the large replica to take its own 4 slots');
      assert.equal(judge.maxInFlight(), 4);
    } finally {
      await gate.leave();
      await small.kill();
      await judge.stop();
    }
  });
}

describe('judge slots shared by replicas through a real redis-server', () => {
  let redis: TestRedis;
  const opened: RedisSlotLeases[] = [];
  const keys = new RedisKeys('engram:judge-slots-test');
  before(async () => {
    redis = await startTestRedis();
  });
  const open = () => {
    const leases = new RedisSlotLeases(redis.url, keys);
    opened.push(leases);
    return leases;
  };
  sharedSlotCases(
    open,
    () => ({ kind: 'redis', url: redis.url, prefix: keys.prefix }),
    async () => {
      await Promise.all(opened.map((leases) => leases.onApplicationShutdown()));
      await redis.close();
    },
  );

  it('ends the waits unjudged, never hanging, while Redis does not answer', async () => {
    const judge = await startJudge();
    try {
      const replica = await judgeReplica(judge.url, open());
      Logger.overrideLogger(false); // the failed judgements' warning is unjudged-warnings.spec's
      await redis.stop();
      const verdicts = await Promise.all([1, 2, 3].map((i) => replica.judge('team', 'older', `team ${i}`)));
      for (const { verdict, reason } of verdicts) {
        assert.equal(verdict, 'unavailable');
        assert.match(reason!, /judge slots the replicas share could not be reached/);
      }
      assert.equal(judge.arrivals.length, 0);
    } finally {
      Logger.overrideLogger(new ConsoleLogger());
      await redis.start();
      await judge.stop();
    }
  });
});

describe('judge slots shared by replicas through PostgreSQL (PGlite over the wire)', () => {
  let server: TestPostgres;
  let settings: PostgresConfig;
  const opened: PostgresDatabase[] = [];
  before(async () => {
    server = await startTestPostgres();
    settings = { url: server.url, poolSize: 2, statementTimeoutMs: 10_000 };
    opened.push(await openPostgresDatabase(settings));
  });
  sharedSlotCases(
    () => {
      const db = new PostgresDatabase(settings);
      opened.push(db);
      return new PostgresSlotLeases(db);
    },
    () => ({ kind: 'postgres', settings }),
    async () => {
      await Promise.all(opened.map((db) => db.close()));
      await server.close();
    },
  );
});

describe('judge slots shared by the processes opening one SQLite file', () => {
  const folder = mkdtempSync(join(tmpdir(), 'engram-judge-slots-'));
  const path = join(folder, 'engram.db');
  const opened: SqliteStores[] = [];
  sharedSlotCases(
    () => {
      // Each replica opens the file itself, as `engram serve` and `engram mcp` each do.
      const stores = openSqliteStores({ path, pragmas: DEFAULT_PRAGMAS });
      opened.push(stores);
      return stores.slotLeases;
    },
    () => ({ kind: 'sqlite', path }),
    async () => {
      await Promise.all(opened.map((stores) => stores.close()));
      rmSync(folder, { recursive: true, force: true });
    },
  );

  it("a restore of the file leaves the running processes' slots and limits as they are", async () => {
    const stores = openSqliteStores({ path, pragmas: DEFAULT_PRAGMAS });
    opened.push(stores);
    const backup = join(folder, 'backup.db');
    copyLiveDatabase(path, backup);
    const running = { id: 'running', limit: 1 };
    assert.equal((await stores.slotLeases.claim('restore-test', running, 'held', 60_000)).held, true);

    swapInDatabase(path, backup, join(folder, 'replaced.db'), DEFAULT_PRAGMAS);
    const other = { id: 'other', limit: 2 };
    const claim = await stores.slotLeases.claim('restore-test', other, 'waiting', 60_000);
    assert.deepEqual(claim, { held: false, size: 1 }, 'the slot is still held, by the limit of 1 still counted');
  });
});
