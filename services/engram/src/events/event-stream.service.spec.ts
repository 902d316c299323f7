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
import { EventListener, EventRelay } from './event-relay';
import { Replay } from './event-ring';
import { EventStreamService } from './event-stream.service';

const event = (id: number): EngramEvent => ({
  id,
  type: 'memory_created',
  timestamp: new Date(0).toISOString(),
  namespace: 'default',
  payload: {},
});

/** A relay whose shared replay answers when the test says, and whose live events the test delivers. */
class ScriptedRelay implements EventRelay {
  listener: EventListener = () => undefined;
  answer!: (replay: Replay) => void;

  send(): void {}
  listen(listener: EventListener): void {
    this.listener = listener;
  }
  async close(): Promise<void> {}
  history(): Promise<Replay> {
    return new Promise((resolve) => (this.answer = resolve));
  }
}

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
});
