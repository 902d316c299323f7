import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cpuTimeOf } from '../testing/cpu-time';
import { rawRequest } from '../testing/raw-request';
import { startTestApp, TestApp } from '../testing/test-app';

const API_KEY = 'hostile-lines-key-0123456789';
/** Near the largest request line Node accepts (16 KiB of headers): the worst a client can send. */
const SLASHES = 14_000;
const REQUESTS_PER_ROUND = 8;

/**
 * The most CPU time one such request costs this process (the server parsing it, the client sending it),
 * taken as the best of three rounds: a super-linear parser spends it on every request (about 175 ms per
 * request of 14,000 slashes before the fix), all of it on the event loop, so the loop stalls that long.
 * CPU time rather than the loop's lag: on a machine whose cores other processes hold, a free loop is
 * delayed too (a lag of 73 ms was seen for a request costing a few ms), while the CPU time stays the code's.
 */
async function stallWhileAnswering(send: () => Promise<{ status: number }>, expected: number[]): Promise<number> {
  const rounds: number[] = [];
  for (let round = 0; round < 3; round++) {
    let costliest = 0;
    for (let i = 0; i < REQUESTS_PER_ROUND; i++) {
      const cost = await cpuTimeOf(async () => {
        const { status } = await send();
        assert.ok(expected.includes(status), `answered ${status}`);
      });
      costliest = Math.max(costliest, cost);
    }
    rounds.push(costliest);
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
      assert.ok(stall < 60, `${path.length}-character path cost ${stall.toFixed(0)} ms of CPU`);
    }
  });

  it('parses long Authorization and Host headers in linear time', async () => {
    const authorization = `Bearer${' '.repeat(SLASHES / 2)}x${' '.repeat(SLASHES / 2)}`;
    const stall = await stallWhileAnswering(
      () => rawRequest(api.url, 'GET', '/api/memories', { headers: { authorization } }),
      [401, 429],
    );
    assert.ok(stall < 60, `a long Authorization header cost ${stall.toFixed(0)} ms of CPU`);
    const host = `${'1:'.repeat(SLASHES / 2 - 1)}x`;
    const hostStall = await stallWhileAnswering(
      () => rawRequest(keyless.url, 'GET', '/api/memories', { headers: { host } }),
      [403],
    );
    assert.ok(hostStall < 60, `a long Host header cost ${hostStall.toFixed(0)} ms of CPU`);
  });
});
