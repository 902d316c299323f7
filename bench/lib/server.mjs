/** Spawns the real api process (services/engram/dist/main.js, or `npm start`) and watches it start. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DIST, ROOT } from './dist.mjs';

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts the api on `dbPath` and resolves once /api/health answered 200, with the milliseconds from
 * spawn to the "Engram ready" log line and to that first 200. `viaNpm` runs `npm start` instead of node.
 */
export async function startServer(dbPath, { env = {}, viaNpm = false } = {}) {
  const port = await freePort();
  const started = performance.now();
  const command = viaNpm ? ['npm', ['start', '--silent']] : [process.execPath, [join(DIST, 'main.js')]];
  const child = spawn(command[0], command[1], {
    cwd: ROOT,
    env: { ...process.env, MCP_MEMORY_SQLITE_PATH: dbPath, MCP_HTTP_PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so `npm start` and its node child stop together
  });
  const url = `http://127.0.0.1:${port}`;
  let readyMs;
  let healthMs;
  let output = '';
  const onData = (chunk) => {
    output += chunk;
    if (readyMs === undefined && output.includes('Engram ready')) readyMs = performance.now() - started;
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let exited = false;
  let stopping = false;
  child.once('exit', (code, signal) => {
    exited = true;
    // A crash mid-benchmark shows up as a refused request: say why the api went.
    if (!stopping && healthMs !== undefined) {
      process.stderr.write(`[bench] api exited (${code ?? signal}); its last output:\n${output.slice(-4000)}\n`);
    }
  });
  while (healthMs === undefined) {
    if (exited) throw new Error(`api exited during start:\n${output}`);
    if (performance.now() - started > 120_000) throw new Error(`api not healthy after 120 s:\n${output}`);
    try {
      const response = await fetch(`${url}/api/health`);
      if (response.status === 200) healthMs = performance.now() - started;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  while (readyMs === undefined && !exited) await new Promise((resolve) => setTimeout(resolve, 5));
  return {
    url,
    pid: child.pid,
    readyMs: Math.round(readyMs),
    healthMs: Math.round(healthMs),
    /** Resident memory of the api process (its worker threads included), in MB; not for `npm start`. */
    rssMb: () => rssMb(child.pid),
    async stop() {
      if (exited) return;
      stopping = true;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, 'SIGTERM');
      await gone;
    },
  };
}

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
  return Math.round(kb / 1024);
}

export async function postJson(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}
