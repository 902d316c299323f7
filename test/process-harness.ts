import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const API_ENTRYPOINT = join(ROOT, 'services', 'engram', 'dist', 'main.js');
/** The build under test (ENGRAM_E2E_DIST lets a developer point at a private build). */
export const DIST = process.env.ENGRAM_E2E_DIST ?? join(ROOT, 'services', 'engram', 'dist');

/** A helper module of the service build (testing/…), loaded at run time from DIST. */
export function serviceHelper(path: string): any {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(join(DIST, path));
}

export interface RunningApi {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** A new folder under TMPDIR, removed when this test process exits (the service's testing/temp-dir). */
export function tempDir(prefix = 'engram-e2e-'): string {
  return serviceHelper('testing/temp-dir.js').makeTempDir(prefix);
}

let spawnedTmpdir: string | undefined;

/**
 * What every process a test starts gets from the test's own environment: PATH to find its tools, and a
 * TMPDIR of this spec process's own inside the run's, shared by the processes it starts as a host's /tmp
 * is, and removed when the spec exits with what they left in it (the serving records `engram health`
 * reads, the scratch folders of a process killed mid-task).
 */
export function inheritedEnv(): Record<string, string> {
  spawnedTmpdir ??= tempDir('engram-spawned-');
  return { PATH: process.env.PATH ?? '', TMPDIR: spawnedTmpdir };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Starts the real api process (`node dist/main.js`) and resolves once it logs that it is ready. */
export async function startApi(env: Record<string, string>, cwd: string): Promise<RunningApi> {
  const port = env.MCP_HTTP_PORT ?? String(await freePort());
  const child = spawn(process.execPath, [API_ENTRYPOINT], {
    cwd,
    env: { ...inheritedEnv(), HOME: cwd, MCP_HTTP_PORT: port, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (output.includes('Engram ready')) resolve();
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`api exited with ${code} before ready:\n${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = await once(child, 'exit');
      return code as number | null;
    },
  };
}

/** Runs the api entrypoint expecting it to exit (e.g. on bad configuration). */
export async function runApiToExit(env: Record<string, string>, cwd: string, args: string[] = []) {
  const child = spawn(process.execPath, [API_ENTRYPOINT, ...args], {
    cwd,
    env: { ...inheritedEnv(), HOME: cwd, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = await once(child, 'exit');
  return { code: code as number | null, stdout, stderr };
}

export async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Stores each text through an api started with `env` for the purpose (so the store is of its model), then stops it. */
export async function storeThroughApi(env: Record<string, string>, cwd: string, contents: readonly string[]) {
  const api = await startApi({ ...env, LOG_LEVEL: 'info' }, cwd);
  try {
    for (const content of contents) {
      const stored = await call(api.url, 'POST', '/api/memories', { content });
      if (stored.status !== 201) throw new Error(`storing "${content}" answered ${stored.status}`);
    }
  } finally {
    await api.stop();
  }
}

/** A new write key bound to `namespace`, made through the api at `url` as `admin`; answered as its headers. */
export async function namespaceKey(
  url: string,
  namespace: string,
  admin: Record<string, string>,
): Promise<Record<string, string>> {
  const created = await call(url, 'POST', '/api/admin/keys', { name: namespace, scopes: ['write'], namespace }, admin);
  if (created.status !== 201)
    throw new Error(`no key for ${namespace}: ${created.status} ${JSON.stringify(created.body)}`);
  return { 'X-API-Key': created.body.key as string };
}
