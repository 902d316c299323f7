import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { measureEventLoopLag } from '../testing/event-loop-lag';
import { rawRequest } from '../testing/raw-request';
import { startTestApp, TestApp } from '../testing/test-app';

const API_KEY = 'hostile-lines-key-0123456789';
/** Near the largest request line Node accepts (16 KiB of headers): the worst a client can send. */
const SLASHES = 14_000;
const REQUESTS_PER_ROUND = 8;

/**
 * The worst event-loop stall seen while the server answers a burst of such requests, taken as the best
 * of three rounds so that a stall caused by another process on a busy machine does not count: a
 * super-linear parser stalls every round (about 175 ms per request of 14,000 slashes before the fix).
 */
async function stallWhileAnswering(send: () => Promise<{ status: number }>, expected: number[]): Promise<number> {
  const rounds: number[] = [];
  for (let round = 0; round < 3; round++) {
    const { maxLagMs } = await measureEventLoopLag(async () => {
      for (let i = 0; i < REQUESTS_PER_ROUND; i++) {
        const { status } = await send();
        assert.ok(expected.includes(status), `answered ${status}`);
      }
    });
    rounds.push(maxLagMs);
  }
  return Math.min(...rounds);
}

describe('request lines built to make parsing slow', () => {
  let api: TestApp;
  let keyless: TestApp;
  before(async () => {
    [api, keyless] = await Promise.all([startTestApp({ MCP_API_KEY: API_KEY }), startTestApp()]);
  });
  after(() => Promise.all([api.close(), keyless.close()]));

  it('answers unauthenticated paths of thousands of slashes without stalling the event loop', async () => {
    const paths = [`/${'/'.repeat(SLASHES)}a`, `/api/memories${'/'.repeat(SLASHES)}x`, `/${'/'.repeat(SLASHES)}?q=1`];
    for (const path of paths) {
      const stall = await stallWhileAnswering(() => rawRequest(api.url, 'GET', path), [401]);
      assert.ok(stall < 60, `${path.length}-character path stalled the event loop ${stall.toFixed(0)} ms`);
    }
  });

  it('parses long Authorization and Host headers in linear time', async () => {
    const authorization = `Bearer${' '.repeat(SLASHES / 2)}x${' '.repeat(SLASHES / 2)}`;
    const stall = await stallWhileAnswering(
      () => rawRequest(api.url, 'GET', '/api/memories', { headers: { authorization } }),
      [401, 429],
    );
    assert.ok(stall < 60, `a long Authorization header stalled the event loop ${stall.toFixed(0)} ms`);
    const host = `${'1:'.repeat(SLASHES / 2 - 1)}x`;
    const hostStall = await stallWhileAnswering(
      () => rawRequest(keyless.url, 'GET', '/api/memories', { headers: { host } }),
      [403],
    );
    assert.ok(hostStall < 60, `a long Host header stalled the event loop ${hostStall.toFixed(0)} ms`);
  });
});
