import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RunningStack, runEngram, startApiAndWorker, startEngram } from './engram-cli';
import { freePort, tempDir } from './process-harness';

const KEY = 'health-cli-test-key-0123456789';

/** `engram health …` as a container runtime runs it: the container's environment, its own /tmp. */
async function health(tmp: string, args: string[] = [], env: Record<string, string> = {}) {
  const { code, stdout, stderr } = await runEngram(
    ['health', ...args],
    { TMPDIR: tmp, MCP_API_KEY: KEY, ...env },
    tmpdir(),
  );
  return { code, output: stdout + stderr };
}

describe('engram health: the container health check of the api and the worker', () => {
  const dir = tempDir();
  const apiTmp = join(dir, 'api-tmp');
  const workerTmp = join(dir, 'worker-tmp');
  let stack: RunningStack;
  let apiPort: number;
  let workerPort: number;

  before(async () => {
    apiPort = await freePort();
    workerPort = await freePort();
    // Each process in a temporary directory of its own, as each container has its own /tmp; both are
    // given both ports, so only the recorded role tells the health check which port is served.
    const ports = { MCP_HTTP_PORT: String(apiPort), WORKER_HTTP_PORT: String(workerPort) };
    stack = await startApiAndWorker(dir, {
      apiKey: KEY,
      apiEnv: { ...ports, TMPDIR: apiTmp },
      workerEnv: { ...ports, TMPDIR: workerTmp },
    });
  });

  after(() => stack?.stop());

  it('finds the api by itself and checks its liveness on the port it serves', async () => {
    const { code, output } = await health(apiTmp);
    assert.equal(code, 0, output);
    assert.match(
      output,
      new RegExp(`engram api: healthy: GET http://127\\.0\\.0\\.1:${apiPort}/health/live answered 200`),
    );
  });

  it('checks a worker on WORKER_HTTP_PORT, not on the api port', async () => {
    const { code, output } = await health(workerTmp);
    assert.equal(code, 0, output);
    assert.match(output, new RegExp(`engram worker: healthy: GET http://127\\.0\\.0\\.1:${workerPort}/health/live`));
    assert.doesNotMatch(output, /engram api/);
  });

  it('checks readiness with the API key from the environment', async () => {
    const ready = await health(apiTmp, ['api', '--ready']);
    assert.equal(ready.code, 0, ready.output);
    assert.match(ready.output, /\/health\/ready answered 200/);
    const workerReady = await health(workerTmp, ['worker', '--ready']);
    assert.equal(workerReady.code, 0, workerReady.output);
    const wrongKey = await health(apiTmp, ['--ready'], { MCP_API_KEY: 'not-the-key-0123456789' });
    assert.equal(wrongKey.code, 1, wrongKey.output);
    assert.match(wrongKey.output, /engram api: unhealthy: .* answered 401/);
  });

  it('is unhealthy when the named role does not run here, or nothing does', async () => {
    const missing = await health(apiTmp, ['worker']);
    assert.equal(missing.code, 1);
    assert.match(missing.output, /engram worker: unhealthy: not listening/);
    const nothing = await health(join(dir, 'empty-tmp'));
    assert.equal(nothing.code, 1);
    assert.match(nothing.output, /no Engram api or worker has started listening here/);
  });

  it('refuses unknown arguments with the usage line', async () => {
    const { code, output } = await health(apiTmp, ['scheduler']);
    assert.equal(code, 64);
    assert.match(output, /unexpected argument "scheduler"\nusage: engram health \[api\|worker\]/);
  });

  it('reports a process that died without cleaning up as unhealthy, and forgets one that stopped', async () => {
    const killed = await startEngram(
      'serve',
      { MCP_API_KEY: KEY, MCP_MEMORY_SQLITE_PATH: join(dir, 'killed.db'), TMPDIR: join(dir, 'killed-tmp') },
      dir,
      'Engram ready',
    );
    try {
      assert.equal((await health(join(dir, 'killed-tmp'))).code, 0);
    } finally {
      await killed.stop('SIGKILL');
    }
    const dead = await health(join(dir, 'killed-tmp'));
    assert.equal(dead.code, 1);
    assert.match(dead.output, /engram api: unhealthy: GET .* failed: .*ECONNREFUSED/);

    const stopped = await startEngram(
      'serve',
      { MCP_API_KEY: KEY, MCP_MEMORY_SQLITE_PATH: join(dir, 'stopped.db'), TMPDIR: join(dir, 'stopped-tmp') },
      dir,
      'Engram ready',
    );
    assert.equal(await stopped.stop(), 0);
    const gone = await health(join(dir, 'stopped-tmp'));
    assert.equal(gone.code, 1);
    assert.match(gone.output, /no Engram api or worker has started listening here/);
  });
});
