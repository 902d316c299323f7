import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RunningEngram, RunningStack, runEngram, serviceHelper, startApiAndWorker, startEngram } from './engram-cli';
import { freePort, tempDir } from './process-harness';

const KEY = 'health-cli-test-key-0123456789';

/**
 * `engram health …` as a container runtime runs it: the container's environment (`env`: the database and
 * ports the server was given), its own /tmp.
 */
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
  /** The environment both containers share, which their health checks run in. */
  let containerEnv: Record<string, string>;

  before(async () => {
    apiPort = await freePort();
    workerPort = await freePort();
    // Each process in a temporary directory of its own, as each container has its own /tmp; both are
    // given both ports, so only the recorded role tells the health check which port is served.
    const ports = { MCP_HTTP_PORT: String(apiPort), WORKER_HTTP_PORT: String(workerPort) };
    containerEnv = { ...ports, MCP_MEMORY_SQLITE_PATH: join(dir, 'engram.db') };
    stack = await startApiAndWorker(dir, {
      apiKey: KEY,
      apiEnv: { ...ports, TMPDIR: apiTmp },
      workerEnv: { ...ports, TMPDIR: workerTmp },
    });
  });

  after(() => stack?.stop());

  it('finds the api by itself and checks its liveness on the port it serves', async () => {
    const { code, output } = await health(apiTmp, [], containerEnv);
    assert.equal(code, 0, output);
    assert.match(
      output,
      new RegExp(`engram api: healthy: GET http://127\\.0\\.0\\.1:${apiPort}/health/live answered 200`),
    );
  });

  it('checks a worker on WORKER_HTTP_PORT, not on the api port', async () => {
    const { code, output } = await health(workerTmp, [], containerEnv);
    assert.equal(code, 0, output);
    assert.match(output, new RegExp(`engram worker: healthy: GET http://127\\.0\\.0\\.1:${workerPort}/health/live`));
    assert.doesNotMatch(output, /engram api/);
  });

  it('checks readiness with the API key from the environment', async () => {
    const ready = await health(apiTmp, ['api', '--ready'], containerEnv);
    assert.equal(ready.code, 0, ready.output);
    assert.match(ready.output, /\/health\/ready answered 200/);
    const workerReady = await health(workerTmp, ['worker', '--ready'], containerEnv);
    assert.equal(workerReady.code, 0, workerReady.output);
    const wrongKey = await health(apiTmp, ['--ready'], { ...containerEnv, MCP_API_KEY: 'not-the-key-0123456789' });
    assert.equal(wrongKey.code, 1, wrongKey.output);
    assert.match(wrongKey.output, /engram api: unhealthy: .* answered 401/);
  });

  it('says which key to set when readiness refuses the credential', async () => {
    const noKey = await health(apiTmp, ['api', '--ready'], { ...containerEnv, MCP_API_KEY: '' });
    assert.equal(noKey.code, 1, noKey.output);
    assert.match(noKey.output, /answered 401 in \d+ ms: set MCP_API_KEY to a read key bound to no namespace/);
    const wrongKey = await health(apiTmp, ['api', '--ready'], {
      ...containerEnv,
      MCP_API_KEY: 'not-the-key-0123456789',
    });
    assert.match(wrongKey.output, /answered 401 in \d+ ms: the server does not accept MCP_API_KEY/);
    const created = await runEngram(
      ['keys', 'create', '--name', 'tenant', '--scopes', 'read', '--namespace', 'tenant', '--json'],
      { MCP_MEMORY_SQLITE_PATH: containerEnv.MCP_MEMORY_SQLITE_PATH, MCP_API_KEY: KEY },
      dir,
    );
    assert.equal(created.code, 0, created.stderr);
    const boundKey = JSON.parse(created.stdout).key as string;
    const bound = await health(apiTmp, ['api', '--ready'], { ...containerEnv, MCP_API_KEY: boundKey });
    assert.equal(bound.code, 1, bound.output);
    assert.match(bound.output, /answered 403 in \d+ ms: MCP_API_KEY is bound to a namespace/);
  });

  it('is unhealthy when the named role does not run here, or nothing does', async () => {
    const missing = await health(apiTmp, ['worker'], containerEnv);
    assert.equal(missing.code, 1);
    assert.match(missing.output, /engram worker: unhealthy: not listening/);
    const nothing = await health(join(dir, 'empty-tmp'), [], containerEnv);
    assert.equal(nothing.code, 1);
    assert.match(nothing.output, /no Engram api or worker has started listening here/);
  });

  it('refuses unknown arguments with the usage line', async () => {
    const { code, output } = await health(apiTmp, ['scheduler']);
    assert.equal(code, 64);
    assert.match(output, /unexpected argument "scheduler"\nusage: engram health \[api\|worker\]/);
  });

  it('reports a process that died without cleaning up as unhealthy, and forgets one that stopped', async () => {
    const killedEnv = { MCP_MEMORY_SQLITE_PATH: join(dir, 'killed.db'), MCP_HTTP_PORT: String(await freePort()) };
    const killed = await startEngram(
      'serve',
      { MCP_API_KEY: KEY, ...killedEnv, TMPDIR: join(dir, 'killed-tmp') },
      dir,
      'Engram ready',
    );
    try {
      assert.equal((await health(join(dir, 'killed-tmp'), [], killedEnv)).code, 0);
    } finally {
      await killed.stop('SIGKILL');
    }
    const dead = await health(join(dir, 'killed-tmp'), [], killedEnv);
    assert.equal(dead.code, 1);
    assert.match(dead.output, /engram api: unhealthy: GET .* failed: .*ECONNREFUSED/);

    const stoppedEnv = { MCP_MEMORY_SQLITE_PATH: join(dir, 'stopped.db'), MCP_HTTP_PORT: String(await freePort()) };
    const stopped = await startEngram(
      'serve',
      { MCP_API_KEY: KEY, ...stoppedEnv, TMPDIR: join(dir, 'stopped-tmp') },
      dir,
      'Engram ready',
    );
    assert.equal(await stopped.stop(), 0);
    const gone = await health(join(dir, 'stopped-tmp'), [], stoppedEnv);
    assert.equal(gone.code, 1);
    assert.match(gone.output, /no Engram api or worker has started listening here/);
  });
});

describe('engram health with several apis of one user on one machine (one $TMPDIR)', () => {
  const dir = tempDir();
  const sharedTmp = join(dir, 'tmp');
  let model: any;
  /** Each api's configuration: notes.db, work.db, and notes.db served again on a port of its own. */
  const configs: Record<string, string>[] = [];
  const apis: RunningEngram[] = [];

  /** Starts an api of `config` among the others, in the one $TMPDIR they share. */
  const startApi = (config: Record<string, string>) =>
    startEngram(
      'serve',
      {
        ...config,
        MCP_API_KEY: KEY,
        TMPDIR: sharedTmp,
        ENGRAM_EMBEDDING_PROVIDER: 'openai',
        MCP_EXTERNAL_EMBEDDING_URL: model.url,
        MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
      },
      dir,
      'Engram ready',
    );

  before(async () => {
    const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');
    model = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'health-model' });
    for (const name of ['notes', 'work', 'notes']) {
      const config = { MCP_MEMORY_SQLITE_PATH: join(dir, `${name}.db`), MCP_HTTP_PORT: String(await freePort()) };
      configs.push(config);
      apis.push(await startApi(config));
    }
  });

  after(async () => {
    for (const api of apis) await api.stop();
    await model?.close();
  });

  /** The ports `engram health api`, given one api's configuration, asked; fails unless each answered healthy. */
  async function portsChecked(config: Record<string, string>): Promise<string[]> {
    const { code, output } = await health(sharedTmp, ['api'], config);
    assert.equal(code, 0, output);
    const lines = output.trim().split('\n');
    return lines.map(
      (line) =>
        /^engram api: healthy: GET http:\/\/127\.0\.0\.1:(\d+)\/health\/live answered 200/.exec(line)?.[1] ?? line,
    );
  }
  it('checks the api of the database and port it is given, not the one that started last', async () => {
    for (const config of configs) assert.deepEqual(await portsChecked(config), [config.MCP_HTTP_PORT]);
  });

  it("keeps an api's record when another api of the same user stops", async () => {
    assert.equal(await apis[2].stop(), 0);
    assert.equal(await apis[1].stop(), 0);
    assert.deepEqual(await portsChecked(configs[0]), [configs[0].MCP_HTTP_PORT]);
    const gone = await health(sharedTmp, ['api'], configs[1]);
    assert.equal(gone.code, 1);
    assert.match(gone.output, /engram api: unhealthy: not listening/);
  });

  it('checks each api of a database configured with port 0 on the port it bound, and forgets one that stopped', async () => {
    const config = { MCP_MEMORY_SQLITE_PATH: join(dir, 'notes.db'), MCP_HTTP_PORT: '0' };
    const first = await startApi(config);
    const second = await startApi(config);
    try {
      const bound = [first, second].map((api) => /"listening":"127\.0\.0\.1:(\d+)"/.exec(api.output())?.[1]);
      assert.deepEqual((await portsChecked(config)).sort(), [...bound].sort());
      assert.equal(await first.stop(), 0);
      assert.deepEqual(await portsChecked(config), [bound[1]]);
    } finally {
      await first.stop();
      await second.stop();
    }
  });
});
