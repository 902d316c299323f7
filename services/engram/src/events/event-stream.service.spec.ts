import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { loadConfig } from '../config/config.loader';
import { EngramMetrics } from '../metrics/engram-metrics';
import { EngramEvent } from './engram-event';
import { EventBus } from './event-bus';
import { EventListener, EventRelay, LossListener } from './event-relay';
import { Replay } from './event-ring';
import { EventStreamService } from './event-stream.service';

const event = (id: number, namespace = 'default'): EngramEvent => ({
  id,
  type: 'memory_created',
  timestamp: new Date(0).toISOString(),
  namespace,
  payload: {},
});

/** A relay whose shared replay answers when the test says, and whose live events the test delivers. */
class ScriptedRelay implements EventRelay {
  listener: EventListener = () => undefined;
  onLost: LossListener = () => undefined;
  answer!: (replay: Replay) => void;

  send(): void {}
  listen(listener: EventListener, onLost?: LossListener): void {
    this.listener = listener;
    if (onLost) this.onLost = onLost;
  }
  async close(): Promise<void> {}
  history(): Promise<Replay> {
    return new Promise((resolve) => (this.answer = resolve));
  }
}

/** An open stream of `namespace` (a key bound to it) on `streams`, and what was written to it so far. */
function openStream(streams: EventStreamService, namespace: string, lastEventId?: number[]) {
  const response = new PassThrough();
  const stream = { written: '' };
  response.on('data', (chunk: Buffer) => (stream.written += chunk.toString()));
  streams.open(response as unknown as ServerResponse, {
    requestId: `r-${namespace}`,
    owner: `api_key:${namespace}`,
    boundNamespace: namespace,
    filter: { namespace },
    frames: 'named',
    lastEventId,
  });
  return stream;
}

/** The `replay_incomplete` notices written to a stream, as sent. */
const incompleteNotices = (written: string) =>
  [...written.matchAll(/^event: replay_incomplete\ndata: (.*)$/gm)].map((match) => JSON.parse(match[1]));

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('event stream service', () => {
  it('sends a resuming client each event once when pub/sub delivers live what the shared replay already sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-streams-'));
    const relay = new ScriptedRelay();
    const streams = new EventStreamService(new EventBus(relay), new EngramMetrics(), loadConfig({ env: {}, cwd: dir }));
    await streams.onModuleInit();
    const response = new PassThrough();
    let written = '';
    response.on('data', (chunk: Buffer) => (written += chunk.toString()));
    try {
      streams.open(response as unknown as ServerResponse, {
        requestId: 'r1',
        owner: 'api_key:k1',
        filter: { namespace: 'default' },
        frames: 'named',
        lastEventId: [0],
      });
      relay.answer({ events: [event(1), event(2)], complete: true });
      await new Promise((resolve) => setImmediate(resolve));
      // Pub/sub lags the log: the two replayed events arrive live only now, then a new one.
      for (const id of [1, 2, 3]) relay.listener(event(id));
      await new Promise((resolve) => setImmediate(resolve));
      const ids = [...written.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
      assert.deepEqual(ids, [1, 2, 3]);
    } finally {
      streams.onModuleDestroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tells the live streams of a namespace where events of it were lost unpublished, and its replays from before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-streams-'));
    const relay = new ScriptedRelay();
    const streams = new EventStreamService(new EventBus(relay), new EngramMetrics(), loadConfig({ env: {}, cwd: dir }));
    await streams.onModuleInit();
    try {
      const live = openStream(streams, 'default');
      const elsewhere = openStream(streams, 'other');
      relay.listener(event(10));
      relay.onLost({ namespace: 'default', id: 20, count: 3 });
      relay.listener(event(30));
      // A stream resuming while the loss is told: its replay, read meanwhile, does not show it.
      const resuming = openStream(streams, 'default', [10]);
      relay.onLost({ namespace: 'default', id: 40, count: 1 });
      relay.answer({ events: [event(30)], complete: true });
      await settle();
      assert.deepEqual(incompleteNotices(live.written), [
        { type: 'replay_incomplete', last_event_id: 10, oldest_kept_id: null },
        { type: 'replay_incomplete', last_event_id: 30, oldest_kept_id: null },
      ]);
      assert.ok(
        live.written.indexOf('replay_incomplete') < live.written.indexOf('id: 30'),
        'told before what followed',
      );
      assert.deepEqual(incompleteNotices(resuming.written), [
        { type: 'replay_incomplete', last_event_id: 10, oldest_kept_id: 30 },
      ]);
      assert.deepEqual(incompleteNotices(elsewhere.written), [], 'another namespace lost nothing');
    } finally {
      streams.onModuleDestroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tells every stream of every namespace, where it stands, of a loss everywhere, and a replay read meanwhile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-streams-'));
    const relay = new ScriptedRelay();
    const streams = new EventStreamService(new EventBus(relay), new EngramMetrics(), loadConfig({ env: {}, cwd: dir }));
    await streams.onModuleInit();
    try {
      const first = openStream(streams, 'default');
      const second = openStream(streams, 'other');
      relay.listener(event(10));
      relay.listener(event(7, 'other'));
      const resuming = openStream(streams, 'third', [3]);
      relay.onLost({ everywhere: true });
      relay.answer({ events: [event(5, 'third')], complete: true });
      await settle();
      assert.deepEqual(incompleteNotices(first.written), [
        { type: 'replay_incomplete', last_event_id: 10, oldest_kept_id: null },
      ]);
      assert.deepEqual(incompleteNotices(second.written), [
        { type: 'replay_incomplete', last_event_id: 7, oldest_kept_id: null },
      ]);
      assert.deepEqual(incompleteNotices(resuming.written), [
        { type: 'replay_incomplete', last_event_id: 3, oldest_kept_id: 5 },
      ]);
    } finally {
      streams.onModuleDestroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
