import { ConsoleLogger, Logger } from '@nestjs/common';
import assert from 'node:assert/strict';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { after, before, describe, it, mock } from 'node:test';
import { AppConfig } from '../config/config.types';
import { EngramMetrics } from '../metrics/engram-metrics';
import { ConflictJudgeService } from './conflict-judge.service';
import { GaveWayWarnings } from './gave-way-warnings';

const GAVE_WAY = 'Conflict judgements gave way; their CPU proposals stand unjudged';

/** Every warning any Nest logger writes, as the objects they were given. */
function captureWarnings(): Record<string, unknown>[] {
  const warnings: Record<string, unknown>[] = [];
  const quiet = () => undefined;
  Logger.overrideLogger({
    log: quiet,
    error: quiet,
    debug: quiet,
    verbose: quiet,
    warn: (message: unknown) => void warnings.push(message as Record<string, unknown>),
  });
  return warnings;
}

async function until(condition: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 10_000; !condition();) {
    assert.ok(Date.now() < deadline, 'condition not met within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('judgements that give way are warned of once a minute per namespace, each still counted', () => {
  let judge: Server;
  const stalled: IncomingMessage[] = [];
  let url: string;

  before(async () => {
    // A judge that never answers: the first judgement holds the only slot, the rest wait behind it.
    judge = createServer((request) => void stalled.push(request));
    await new Promise<void>((resolve) => judge.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(judge.address() as AddressInfo).port}/v1`;
  });
  after(async () => {
    judge.closeAllConnections();
    await new Promise((resolve) => judge.close(resolve));
    Logger.overrideLogger(new ConsoleLogger());
  });

  it('a burst of 500 past the share logs one warning at once and the rest as one count at shutdown', async () => {
    const warnings = captureWarnings();
    const metrics = new EngramMetrics();
    const config = {
      conflicts: {
        judge: {
          baseUrl: url,
          provider: 'openai_compatible',
          model: 'judge',
          timeoutMs: 60_000,
          concurrency: 1,
          maxWaitingPerNamespace: 2,
        },
      },
    } as unknown as AppConfig;
    const service = new ConflictJudgeService(config, metrics);
    const stop = new AbortController();
    const verdicts = Array.from({ length: 503 }, (_, i) =>
      service.judge('bulk', `older ${i}`, `newer ${i}`, stop.signal),
    );
    let settled = 0;
    for (const verdict of verdicts) void verdict.then(() => settled++);
    await until(() => settled === 500);
    assert.equal((await metrics.conflictJudgeGaveWay.get()).values[0].value, 500, 'the metric counts every one');
    const told = () => warnings.filter((warning) => warning.msg === GAVE_WAY);
    assert.deepEqual(
      told().map(({ namespace, count }) => ({ namespace, count })),
      [{ namespace: 'bulk', count: 1 }],
    );

    stop.abort(new Error('the store stopped waiting'));
    await Promise.all(verdicts);
    service.onModuleDestroy();
    assert.deepEqual(
      told().map(({ namespace, count }) => ({ namespace, count })),
      [
        { namespace: 'bulk', count: 1 },
        { namespace: 'bulk', count: 499 },
      ],
      'the ones not yet told are told at shutdown',
    );
  });

  it('tells each namespace at most once a minute, the count since its last warning, and again at once after a quiet minute', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const told: [string, number][] = [];
      const warnings = new GaveWayWarnings((namespace, count) => told.push([namespace, count]));
      for (let i = 0; i < 1000; i++) warnings.note('bulk');
      warnings.note('team');
      warnings.note('team');
      assert.deepEqual(told, [
        ['bulk', 1],
        ['team', 1],
      ]);
      mock.timers.tick(60_000);
      assert.deepEqual(told.slice(2), [
        ['bulk', 999],
        ['team', 1],
      ]);
      warnings.note('bulk');
      mock.timers.tick(60_000);
      assert.deepEqual(told.slice(4), [['bulk', 1]], 'the minute after a warning, the one since');
      mock.timers.tick(60_000);
      assert.equal(told.length, 5, 'a quiet minute says nothing');
      warnings.note('bulk');
      assert.deepEqual(told.slice(5), [['bulk', 1]], 'after a quiet minute, the next is told at once');
      warnings.close();
      assert.equal(told.length, 6);
    } finally {
      mock.timers.reset();
    }
  });
});
