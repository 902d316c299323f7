// `npm run check:image`: builds Dockerfile.mcp with the container engine this machine has (docker or
// podman; buildah to build, with podman or docker to run), runs the api, the worker (with Redis) and the
// stdio MCP server from it, and probes them as an operator would. Not part of `npm test`: it needs an
// engine and the base images (docs/deployment.md#checking-the-image says how to do without a registry).
//   node scripts/check-image.mjs [--engine docker|podman|buildah] [--tag engram:check] [--no-build]
//                                [--max-size-mb 600] [--keep]
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MB = 1000 * 1000;
const IMAGE_UID = '10001';

/** What an engine CLI can do here: `info` (docker, podman) or `version` (buildah) must answer. */
export function detectEngines(run = runQuietly) {
  const found = [];
  const problems = [];
  for (const [name, probe] of [
    ['docker', ['info', '--format', '{{.ServerVersion}}']],
    ['podman', ['info', '--format', '{{.Version.Version}}']],
    ['buildah', ['version']],
  ]) {
    const result = run(name, probe);
    if (result.status === 0) found.push(name);
    else if (result.error?.code !== 'ENOENT')
      problems.push(`${name}: ${firstLine(result.stderr || result.error?.message)}`);
  }
  return { found, problems };
}

/** The engine that builds and the one that runs containers (buildah only builds). */
export function chooseEngines({ found, problems }, wanted) {
  const usable = wanted ? found.filter((name) => name === wanted) : found;
  const builder = usable[0];
  const runner = usable.find((name) => name !== 'buildah') ?? found.find((name) => name !== 'buildah');
  if (!builder) {
    const what = wanted ? `${wanted} is not usable here` : 'no usable container engine was found';
    const why = problems.length ? ` (${problems.join('; ')})` : '';
    return {
      error:
        `check:image needs a container engine: ${what}${why}. Install docker (with its daemon running), ` +
        'podman, or buildah with podman; docs/deployment.md#checking-the-image',
    };
  }
  return { builder, runner };
}

function runQuietly(command, args) {
  return spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
}

function firstLine(text = '') {
  return String(text).trim().split('\n')[0];
}

function engine(name, args, { allowFailure = false, timeout = 600_000 } = {}) {
  const result = spawnSync(name, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout });
  if (result.status !== 0 && !allowFailure) {
    throw new Error(`${name} ${args.join(' ')} failed: ${firstLine(result.stderr || result.error?.message)}`);
  }
  return result;
}

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(true) || socket.end());
    socket.once('error', () => resolve(false));
  });
}

async function waitFor(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Prints one check and remembers a failure; the script exits 1 when any failed. */
class Report {
  failures = 0;

  check(name, ok, detail = '') {
    if (!ok) this.failures++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
  }

  figure(name, value) {
    console.log(`     ${name}: ${value}`);
  }
}

function build(builder, tag, report) {
  // podman and buildah write OCI images by default, which drop HEALTHCHECK: ask for the Docker format.
  const args =
    builder === 'buildah'
      ? ['bud', '--format', 'docker', '-f', 'Dockerfile.mcp', '-t', tag, '.']
      : ['build', ...(builder === 'podman' ? ['--format', 'docker'] : []), '-f', 'Dockerfile.mcp', '-t', tag, '.'];
  const started = Date.now();
  const child = spawnSync(builder, args, { cwd: ROOT, stdio: 'inherit', timeout: 3_600_000 });
  report.check(`${builder} builds Dockerfile.mcp`, child.status === 0);
  if (child.status !== 0) throw new Error('the build failed; see its output above');
  report.figure('build time', `${Math.round((Date.now() - started) / 1000)} s`);
}

function reportSize(runner, tag, maxBytes, report) {
  const size = Number(engine(runner, ['image', 'inspect', '--format', '{{.Size}}', tag]).stdout.trim());
  const history = engine(runner, [
    'history',
    '--human=false',
    '--no-trunc',
    '--format',
    '{{.Size}}\t{{.CreatedBy}}',
    tag,
  ]);
  for (const line of history.stdout.trim().split('\n')) {
    const [bytes, createdBy = ''] = line.split('\t');
    if (Number(bytes) >= MB) report.figure(`layer ${(Number(bytes) / MB).toFixed(0)} MB`, createdBy.slice(0, 100));
  }
  report.check(`image size ≤ ${maxBytes / MB} MB`, size <= maxBytes, `${(size / MB).toFixed(0)} MB`);
}

/** A Redis the containers reach on the host network: a local redis-server, else a Redis container. */
async function startRedis(runner, suffix) {
  const port = await freePort();
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0) {
    const child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', ''], {
      stdio: 'ignore',
    });
    await waitFor('redis-server', () => accepts(port), 10_000);
    return { url: `redis://127.0.0.1:${port}`, stop: async () => child.kill('SIGTERM') };
  }
  const name = `engram-check-redis-${suffix}`;
  engine(runner, [
    'run',
    '-d',
    '--name',
    name,
    '--network',
    'host',
    'redis:7.4.2-alpine',
    'redis-server',
    '--port',
    String(port),
  ]);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => engine(runner, ['rm', '-f', name], { allowFailure: true }),
  };
}

function runContainer(runner, { name, tag, volume, env, command }) {
  const envArgs = Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
  // The image's own health command, checked every 2 s instead of 30 s so the check does not wait.
  engine(runner, [
    'run',
    '-d',
    '--name',
    name,
    '--network',
    'host',
    '--health-interval',
    '2s',
    '-v',
    `${volume}:/data`,
    ...envArgs,
    tag,
    command,
  ]);
}

function containerState(runner, name) {
  return JSON.parse(engine(runner, ['inspect', '--format', '{{json .State}}', name]).stdout);
}

/** healthy once the engine ran the image's HEALTHCHECK; podman without systemd timers needs it run by hand. */
async function waitHealthy(runner, name) {
  return waitFor(
    `${name} healthy`,
    async () => {
      if (runner === 'podman') return engine(runner, ['healthcheck', 'run', name], { allowFailure: true }).status === 0;
      const state = containerState(runner, name);
      return (state.Health ?? state.Healthcheck)?.Status === 'healthy';
    },
    120_000,
  );
}

async function http(url, path, { key, method = 'GET', body } = {}) {
  const headers = {
    ...(key ? { authorization: `Bearer ${key}` } : {}),
    ...(body ? { 'content-type': 'application/json' } : {}),
  };
  const response = await fetch(`${url}${path}`, { method, headers, body: body && JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

async function checkApi(report, api, key) {
  report.check('api /health/live answers 200', (await http(api, '/health/live')).status === 200);
  report.check(
    'api /health/ready with the key answers 200',
    (await http(api, '/health/ready', { key })).status === 200,
  );
  report.check('api refuses a request without the key (401)', (await http(api, '/api/memories')).status === 401);
  const stored = await http(api, '/api/memories', {
    key,
    method: 'POST',
    body: { content: 'the image check stores this memory' },
  });
  report.check('api stores a memory', stored.status === 201, `status ${stored.status}`);
  const found = await http(api, '/api/search', { key, method: 'POST', body: { query: 'image check memory' } });
  const hit = found.body?.results?.some((r) => r.memory?.content === 'the image check stores this memory');
  report.check('api finds it again by search', found.status === 200 && hit);
}

async function checkWorkerBackup(report, api, worker, key) {
  const queued = await http(api, '/api/admin/backup', { key, method: 'POST' });
  report.check('api queues a backup job', queued.status === 202 || queued.status === 200, `status ${queued.status}`);
  const job = await waitFor(
    'backup job',
    async () => {
      const { body } = await http(api, `/api/jobs/${queued.body.job_id}`, { key });
      return ['completed', 'failed', 'cancelled'].includes(body?.state) && body;
    },
    120_000,
  );
  report.check('the backup job completes', job.state === 'completed', job.error ?? '');
  const metrics = (await http(worker, '/metrics', { key })).body;
  report.check(
    'the worker ran it',
    /engram_jobs_total\{[^}]*name="backup"[^}]*outcome="completed"[^}]*\} [1-9]/.test(metrics),
  );
}

async function checkMcp(report, runner, tag, volume, key) {
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
  const noHealthcheck = runner === 'podman' ? '--health-cmd=none' : '--no-healthcheck';
  const transport = new StdioClientTransport({
    command: runner,
    args: ['run', '-i', '--rm', noHealthcheck, '-v', `${volume}:/data`, '-e', `MCP_API_KEY=${key}`, tag, 'mcp'],
    stderr: 'ignore',
  });
  const client = new Client({ name: 'engram-check-image', version: '1.0.0' });
  await client.connect(transport);
  try {
    const { tools } = await client.listTools();
    report.check(
      'mcp (stdio) lists its tools',
      tools.some((tool) => tool.name === 'memory_search'),
      `${tools.length} tools`,
    );
    const result = await client.callTool({ name: 'memory_search', arguments: { query: 'image check memory' } });
    report.check(
      'mcp memory_search finds the memory the api stored',
      JSON.stringify(result.content).includes('the image check stores'),
    );
  } finally {
    await client.close();
  }
}

function checkUserAndStop(report, runner, name) {
  const uid = engine(runner, ['exec', name, 'id', '-u']).stdout.trim();
  report.check(`${name} runs as a non-root user`, uid === IMAGE_UID, `uid ${uid}`);
  engine(runner, ['stop', '--time', '60', name]);
  const { ExitCode } = containerState(runner, name);
  report.check(`${name} exits 0 on SIGTERM`, ExitCode === 0, `exit code ${ExitCode}`);
}

async function main() {
  const { values } = parseArgs({
    options: {
      engine: { type: 'string' },
      tag: { type: 'string', default: 'engram:check' },
      'no-build': { type: 'boolean', default: false },
      'max-size-mb': { type: 'string', default: '600' },
      keep: { type: 'boolean', default: false },
    },
  });
  const chosen = chooseEngines(detectEngines(), values.engine);
  if (chosen.error) {
    console.error(chosen.error);
    return 1;
  }
  const { builder, runner } = chosen;
  const report = new Report();
  console.log(`building with ${builder}${runner ? `, running with ${runner}` : ''}`);
  if (!values['no-build']) build(builder, values.tag, report);
  if (!runner) {
    console.error(`${builder} built ${values.tag}; running the containers needs podman or docker as well`);
    return 1;
  }
  reportSize(runner, values.tag, Number(values['max-size-mb']) * MB, report);

  const suffix = randomBytes(4).toString('hex');
  const key = randomBytes(24).toString('base64url');
  const volume = `engram-check-${suffix}`;
  const [apiPort, workerPort] = [await freePort(), await freePort()];
  const redis = await startRedis(runner, suffix);
  const env = { MCP_API_KEY: key, MCP_HTTP_PORT: apiPort, WORKER_HTTP_PORT: workerPort, REDIS_URL: redis.url };
  const api = `http://127.0.0.1:${apiPort}`;
  const worker = `http://127.0.0.1:${workerPort}`;
  const names = { api: `engram-check-api-${suffix}`, worker: `engram-check-worker-${suffix}` };
  try {
    engine(runner, ['volume', 'create', volume]);
    const started = Date.now();
    runContainer(runner, { name: names.api, tag: values.tag, volume, env, command: 'serve' });
    await waitFor(
      'the api answering /health/live',
      async () => (await http(api, '/health/live')).status === 200,
      180_000,
    );
    report.figure('api start-up (run to /health/live)', `${((Date.now() - started) / 1000).toFixed(1)} s`);
    await checkApi(report, api, key);
    runContainer(runner, { name: names.worker, tag: values.tag, volume, env, command: 'worker' });
    await waitFor(
      'the worker answering /health/live',
      async () => (await http(worker, '/health/live')).status === 200,
      180_000,
    );
    await checkWorkerBackup(report, api, worker, key);
    await checkMcp(report, runner, values.tag, volume, key);
    for (const name of [names.api, names.worker]) {
      report.check(`${name} is reported healthy by ${runner}`, await waitHealthy(runner, name).catch(() => false));
    }
    checkUserAndStop(report, runner, names.worker);
    checkUserAndStop(report, runner, names.api);
  } catch (error) {
    report.check('the check ran to its end', false, error.message);
  } finally {
    if (!values.keep) {
      for (const name of Object.values(names)) engine(runner, ['rm', '-f', name], { allowFailure: true });
      engine(runner, ['volume', 'rm', '-f', volume], { allowFailure: true });
    }
    await redis.stop();
  }
  console.log(report.failures === 0 ? 'image check passed' : `image check: ${report.failures} check(s) failed`);
  return report.failures === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(await main());
