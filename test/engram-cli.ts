import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DIST, freePort, inheritedEnv, serviceHelper, tempDir } from './process-harness';

export { DIST, serviceHelper };

/** How long stop() waits for the process to exit after its signal before it kills it. */
const STOP_WAIT_MS = 30_000;

export interface RunningEngram {
  url: string;
  child: ChildProcess;
  output(): string;
  /**
   * Resolves with the output once `seen` holds for it. A log line written when a response finishes can reach
   * this process after the response itself, so a test that reads the log right after a request waits here.
   */
  waitForOutput(seen: (output: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Sends the signal (SIGTERM by default) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `engram <command>` (serve, worker, …) and resolves once it logs `readyText`. Its HTTP port is
 * MCP_HTTP_PORT (serve) or WORKER_HTTP_PORT (worker) from `env`, else a free one.
 */
export async function startEngram(
  command: string,
  env: Record<string, string>,
  dir: string,
  readyText: string,
): Promise<RunningEngram> {
  const port = (command === 'worker' ? env.WORKER_HTTP_PORT : env.MCP_HTTP_PORT) ?? String(await freePort());
  const child: ChildProcess = spawn(process.execPath, [join(DIST, 'cli', 'engram.js'), command], {
    cwd: dir,
    env: {
      ...inheritedEnv(),
      HOME: dir,
      LOG_LEVEL: 'info',
      MCP_HTTP_PORT: port,
      WORKER_HTTP_PORT: port,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', () => output.includes(readyText) && resolve());
    child.once('exit', (code) => reject(new Error(`engram ${command} exited with ${code}:\n${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    async waitForOutput(seen, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!seen(output)) {
        if (Date.now() > deadline)
          throw new Error(`engram ${command}: expected output not seen:\n${output.slice(-4000)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return output;
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      // A shutdown that hangs must not hang the suite: kill it, and leave its output for whoever reads the log.
      const timer = setTimeout(() => {
        process.stderr.write(
          `engram ${command} still running ${STOP_WAIT_MS / 1000} s after ${signal}; killed. Its output:\n${output.slice(-4000)}\n`,
        );
        child.kill('SIGKILL');
      }, STOP_WAIT_MS);
      const [code] = await exited;
      clearTimeout(timer);
      return code as number | null;
    },
  };
}

export interface RunningStack {
  api: RunningEngram;
  worker: RunningEngram;
  redis: { url: string };
  /** Stops the worker, the api, the embeddings endpoint and Redis, in that order. */
  stop(): Promise<void>;
}

/**
 * The deployed shape: an api and a worker on one database, jobs through a real redis-server, embeddings
 * from the OpenAI-compatible test double (so no local model loads). `env` goes to both processes,
 * `apiEnv`/`workerEnv` to one; each gets a free port unless given one.
 */
export async function startApiAndWorker(
  dir: string,
  options: {
    apiKey: string;
    env?: Record<string, string>;
    apiEnv?: Record<string, string>;
    workerEnv?: Record<string, string>;
  },
): Promise<RunningStack> {
  const { startTestRedis } = serviceHelper('testing/redis-server.js');
  const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');
  const redis = await startTestRedis();
  const embeddings = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'stack-model' });
  const env = {
    MCP_API_KEY: options.apiKey,
    REDIS_URL: redis.url,
    MCP_MEMORY_SQLITE_PATH: join(dir, 'engram.db'),
    ENGRAM_EMBEDDING_PROVIDER: 'openai',
    MCP_EXTERNAL_EMBEDDING_URL: embeddings.url,
    MCP_EXTERNAL_EMBEDDING_MODEL: embeddings.model,
    ...options.env,
  };
  const api = await startEngram(
    'serve',
    { ...env, MCP_HTTP_PORT: String(await freePort()), ...options.apiEnv },
    dir,
    'Engram ready',
  );
  const worker = await startEngram(
    'worker',
    { ...env, WORKER_HTTP_PORT: String(await freePort()), ...options.workerEnv },
    dir,
    'Engram worker ready',
  );
  return {
    api,
    worker,
    redis,
    async stop() {
      await worker.stop();
      await api.stop();
      await embeddings.close();
      await redis.close();
    },
  };
}

export interface EngramRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A started `engram <args>`: `ended` is how it exited and what it wrote; `kill` ends it at once (SIGKILL). */
export interface EngramProcess {
  ended: Promise<EngramRun & { signal: NodeJS.Signals | null }>;
  kill(): void;
}

/**
 * Starts `engram <args>` in `cwd` with only PATH, HOME and `env` set; `onStderr` sees stderr so far as it
 * grows (to act once the command has said something).
 */
export function spawnEngram(
  args: string[],
  env: Record<string, string>,
  cwd: string,
  onStderr?: (stderr: string) => void,
): EngramProcess {
  const child = spawn(process.execPath, [join(DIST, 'cli', 'engram.js'), ...args], {
    cwd,
    env: { ...inheritedEnv(), HOME: cwd, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
    onStderr?.(stderr);
  });
  const ended = once(child, 'close').then(([code, signal]) => ({
    code: code as number,
    signal: signal as NodeJS.Signals | null,
    stdout,
    stderr,
  }));
  return { ended, kill: () => child.kill('SIGKILL') };
}

/** Runs `engram <args>` to its exit, as spawnEngram starts it. */
export async function runEngram(
  args: string[],
  env: Record<string, string>,
  cwd: string,
  onStderr?: (stderr: string) => void,
): Promise<EngramRun> {
  const { code, stdout, stderr } = await spawnEngram(args, env, cwd, onStderr).ended;
  return { code, stdout, stderr };
}

/**
 * Runs `engram <args>` on a terminal of its own, as someone at a shell would: a pseudo-terminal made by
 * util-linux `script`, so the command's stdin, stdout and stderr are all that terminal. `typeWhen` sees
 * what the terminal has shown so far (stdout and stderr together, with what was typed echoed) and answers
 * what to type once it should, else undefined; stdin stays open until the command exits.
 */
export async function runEngramOnTerminal(
  args: string[],
  env: Record<string, string>,
  cwd: string,
  typeWhen: (shown: string) => string | undefined,
): Promise<{ code: number; shown: string }> {
  const command = [process.execPath, join(DIST, 'cli', 'engram.js'), ...args].map(shellQuoted).join(' ');
  const child = spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], {
    cwd,
    env: { ...inheritedEnv(), HOME: cwd, SHELL: '/bin/sh', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let shown = '';
  let typed = false;
  const onOutput = (chunk: Buffer) => {
    shown += chunk;
    const keys = typed ? undefined : typeWhen(shown);
    if (keys === undefined) return;
    typed = true;
    child.stdin!.write(keys);
  };
  child.stdout!.on('data', onOutput);
  child.stderr!.on('data', onOutput);
  child.once('exit', () => child.stdin!.end());
  const [code] = await once(child, 'close');
  return { code: code as number, shown };
}

function shellQuoted(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export interface CliStore {
  dir: string;
  env: Record<string, string>;
  /** `engram <args>` against this store, in its folder. */
  engram(args: string[]): Promise<EngramRun>;
  close(): Promise<void>;
}

/**
 * A new SQLite store in a temporary folder, embedded by a scripted OpenAI-compatible test double (16
 * dimensions, named `model`), for specs of the CLI's memory commands.
 */
export async function openCliStore(model: string): Promise<CliStore> {
  const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');
  const { openSqliteDatabase } = serviceHelper('storage/sqlite.connection.js');
  const dir = tempDir();
  const embeddings = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model });
  const env = {
    MCP_MEMORY_SQLITE_PATH: join(dir, 'engram.db'),
    ENGRAM_EMBEDDING_PROVIDER: 'openai',
    MCP_EXTERNAL_EMBEDDING_URL: embeddings.url,
    MCP_EXTERNAL_EMBEDDING_MODEL: embeddings.model,
  };
  openSqliteDatabase(env.MCP_MEMORY_SQLITE_PATH, {}).close();
  return {
    dir,
    env,
    engram: (args) => runEngram(args, env, dir),
    async close() {
      await embeddings.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
