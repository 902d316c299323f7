import { ConsoleLogger, Logger } from '@nestjs/common';
import assert from 'node:assert/strict';
import { createServer, IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { after, describe, it, mock } from 'node:test';
import { AppConfig } from '../config/config.types';
import { EngramMetrics } from '../metrics/engram-metrics';
import { ConflictJudgeService } from './conflict-judge.service';
import { UnjudgedWarning, UnjudgedWarnings } from './unjudged-warnings';

const GAVE_WAY = 'Conflict judgements gave way; their CPU proposals stand unjudged';
const TIMED_OUT = 'Conflict judgements timed out; their CPU proposals stand unjudged';
const FAILED = 'Conflict judge requests failed; their CPU proposals stand unjudged';
const NO_VERDICT = 'The conflict judge answered without a verdict; its CPU proposals stand unjudged';

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

/** What a test checks of each warning: which it is, for whom, how many, and why. */
function told(warnings: Record<string, unknown>[]) {
  return warnings.map(({ msg, namespace, count, reason }) => ({ msg, namespace, count, reason }));
}

/** A judge on loopback answering as `answer` does; closed (with any request it holds) after the test. */
async function startJudge(answer: RequestListener): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function judgeService(url: string, metrics: EngramMetrics, settings: { timeoutMs: number; concurrency: number }) {
  const judge = { baseUrl: url, provider: 'openai_compatible', model: 'judge', maxWaitingPerNamespace: 1000 };
  return new ConflictJudgeService({ conflicts: { judge: { ...judge, ...settings } } } as unknown as AppConfig, metrics);
}

async function unavailableVerdicts(metrics: EngramMetrics): Promise<number> {
  const { values } = await metrics.conflictJudgeVerdicts.get();
  return values.find(({ labels }) => labels.verdict === 'unavailable')?.value ?? 0;
}

async function until(condition: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 10_000; !condition();) {
    assert.ok(Date.now() < deadline, 'condition not met within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('judgements that stand unjudged are warned of once a minute per cause and namespace, each still counted', () => {
  after(() => Logger.overrideLogger(new ConsoleLogger()));

  it('a burst of 500 past the share logs one warning at once and the rest as one count at shutdown', async () => {
    // A judge that never answers: the first judgement holds the only slot, the rest wait behind it.
    const stalled: IncomingMessage[] = [];
    const judge = await startJudge((request) => void stalled.push(request));
    const warnings = captureWarnings();
    const metrics = new EngramMetrics();
    const service = new ConflictJudgeService(
      {
        conflicts: {
          judge: {
            baseUrl: judge.url,
            provider: 'openai_compatible',
            model: 'judge',
            timeoutMs: 60_000,
            concurrency: 1,
            maxWaitingPerNamespace: 2,
          },
        },
      } as unknown as AppConfig,
      metrics,
    );
    const stop = new AbortController();
    const verdicts = Array.from({ length: 503 }, (_, i) =>
      service.judge('bulk', `older ${i}`, `newer ${i}`, stop.signal),
    );
    let settled = 0;
    for (const verdict of verdicts) void verdict.then(() => settled++);
    await until(() => settled === 500);
    assert.equal((await metrics.conflictJudgeGaveWay.get()).values[0].value, 500, 'the metric counts every one');
    const brief = () => warnings.map(({ msg, namespace, count }) => ({ msg, namespace, count }));
    assert.deepEqual(brief(), [{ msg: GAVE_WAY, namespace: 'bulk', count: 1 }]);

    // The store stops waiting: the one in flight and the two still waiting time out.
    stop.abort(new Error('the store stopped waiting'));
    await Promise.all(verdicts);
    service.onModuleDestroy();
    await judge.stop();
    assert.deepEqual(
      brief(),
      [
        { msg: GAVE_WAY, namespace: 'bulk', count: 1 },
        { msg: TIMED_OUT, namespace: 'bulk', count: 1 },
        { msg: GAVE_WAY, namespace: 'bulk', count: 499 },
        { msg: TIMED_OUT, namespace: 'bulk', count: 2 },
      ],
      'the ones not yet told are told at shutdown',
    );
    assert.equal(await unavailableVerdicts(metrics), 503);
  });

  it('a judge answering 500 to 50 judgements logs the first failure at once with its error and the rest as one count', async () => {
    const judge = await startJudge((_, response) => response.writeHead(500).end('{"error":"model crashed"}'));
    const warnings = captureWarnings();
    const metrics = new EngramMetrics();
    const service = judgeService(judge.url, metrics, { timeoutMs: 60_000, concurrency: 2 });
    const judgements = await Promise.all(
      Array.from({ length: 50 }, (_, i) => service.judge('bulk', `older ${i}`, `newer ${i}`)),
    );
    const reason = 'the model endpoint answered 500';
    assert.ok(judgements.every((judgement) => judgement.verdict === 'unavailable' && judgement.reason === reason));
    assert.deepEqual(told(warnings), [{ msg: FAILED, namespace: 'bulk', count: 1, reason }]);
    assert.equal(await unavailableVerdicts(metrics), 50, 'the metric counts every one');

    service.onModuleDestroy();
    await judge.stop();
    assert.deepEqual(told(warnings), [
      { msg: FAILED, namespace: 'bulk', count: 1, reason },
      { msg: FAILED, namespace: 'bulk', count: 49, reason },
    ]);
  });

  it('a judge that never answers logs one timeout at once, whether the request or the store stopped waiting', async () => {
    const stalled: IncomingMessage[] = [];
    const judge = await startJudge((request) => void stalled.push(request));
    const warnings = captureWarnings();
    const metrics = new EngramMetrics();
    const service = judgeService(judge.url, metrics, { timeoutMs: 100, concurrency: 10 });
    // As a scan job asks: no deadline of its own, so each request ends at the judge's timeout.
    await Promise.all(Array.from({ length: 20 }, (_, i) => service.judge('bulk', `older ${i}`, `newer ${i}`)));
    const requestTimedOut = 'the model endpoint did not answer (timed out after 0.1 s)';
    assert.deepEqual(told(warnings), [{ msg: TIMED_OUT, namespace: 'bulk', count: 1, reason: requestTimedOut }]);
    // As a store asks: its deadline has passed.
    const storeDeadline = AbortSignal.abort(new Error('the store stopped waiting'));
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => service.judge('bulk', `older ${i}`, `newer ${i}`, storeDeadline)),
    );
    assert.equal(warnings.length, 1, 'the same cause in the same minute');
    assert.equal(await unavailableVerdicts(metrics), 25, 'the metric counts every one');

    service.onModuleDestroy();
    await judge.stop();
    assert.deepEqual(told(warnings).slice(1), [
      {
        msg: TIMED_OUT,
        namespace: 'bulk',
        count: 24,
        reason: 'the judge did not answer within the time a store waits for it',
      },
    ]);
  });

  it('answers without a verdict are told once per namespace at once, then counted', async () => {
    const judge = await startJudge((_, response: ServerResponse) =>
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ choices: [{ message: { content: 'Hard to say.' } }] })),
    );
    const warnings = captureWarnings();
    const metrics = new EngramMetrics();
    const service = judgeService(judge.url, metrics, { timeoutMs: 60_000, concurrency: 2 });
    await Promise.all(
      ['bulk', 'team'].flatMap((namespace) =>
        Array.from({ length: 10 }, (_, i) => service.judge(namespace, `older ${i}`, `newer ${i}`)),
      ),
    );
    const reason = 'the judge answered without a known verdict';
    assert.deepEqual(told(warnings), [
      { msg: NO_VERDICT, namespace: 'bulk', count: 1, reason },
      { msg: NO_VERDICT, namespace: 'team', count: 1, reason },
    ]);
    assert.equal(await unavailableVerdicts(metrics), 20);

    service.onModuleDestroy();
    await judge.stop();
    assert.deepEqual(told(warnings).slice(2), [
      { msg: NO_VERDICT, namespace: 'bulk', count: 9, reason },
      { msg: NO_VERDICT, namespace: 'team', count: 9, reason },
    ]);
  });

  it('tells each cause in each namespace at most once a minute, the count since its last warning, and again at once after a quiet minute', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const said: UnjudgedWarning[] = [];
      const warnings = new UnjudgedWarnings((warning) => said.push(warning));
      const brief = () => said.map(({ cause, namespace, count }) => [cause, namespace, count]);
      for (let i = 0; i < 1000; i++) warnings.note('gave_way', 'bulk', 'gave way');
      warnings.note('gave_way', 'team', 'gave way');
      warnings.note('gave_way', 'team', 'gave way');
      warnings.note('failed', 'bulk', 'the model endpoint answered 500');
      warnings.note('failed', 'bulk', 'the model endpoint answered 502');
      assert.deepEqual(brief(), [
        ['gave_way', 'bulk', 1],
        ['gave_way', 'team', 1],
        ['failed', 'bulk', 1],
      ]);
      assert.equal(said[2].reason, 'the model endpoint answered 500', 'the first of a cause is told with its reason');
      mock.timers.tick(60_000);
      assert.deepEqual(brief().slice(3), [
        ['gave_way', 'bulk', 999],
        ['gave_way', 'team', 1],
        ['failed', 'bulk', 1],
      ]);
      assert.equal(said[5].reason, 'the model endpoint answered 502', 'a count is told with the latest reason');
      warnings.note('gave_way', 'bulk', 'gave way');
      mock.timers.tick(60_000);
      assert.deepEqual(brief().slice(6), [['gave_way', 'bulk', 1]], 'the minute after a warning, the one since');
      mock.timers.tick(60_000);
      assert.equal(said.length, 7, 'a quiet minute says nothing');
      warnings.note('gave_way', 'bulk', 'gave way');
      assert.deepEqual(brief().slice(7), [['gave_way', 'bulk', 1]], 'after a quiet minute, the next is told at once');
      warnings.close();
      assert.equal(said.length, 8);
    } finally {
      mock.timers.reset();
    }
  });
});
