import { ChildProcess, spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import { MAX_MESSAGE_MEMBERS, parseChannelMessage } from './channel-message';
import { buildCommand, SandboxCommand, SandboxMode } from './sandbox-command';

/** One call of a memory function from inside the sandbox, and its answer. */
export type CallHandler = (fn: string, args: unknown[]) => Promise<unknown>;

export interface SandboxLimits {
  /** Wall-clock limit of one run; the process group is killed at it. */
  timeoutMs: number;
  /** Address-space limit of the interpreter (RLIMIT_AS). */
  memoryBytes: number;
  /** Longest string (or repr) kept per variable in the result; longer ones are cut with a marker. */
  maxValueChars: number;
}

export type SandboxViolation = 'timeout' | 'memory' | 'denied' | 'import' | 'channel' | 'crash';

export type SandboxOutcome =
  /** `result` is Python's repr of the variables the code assigned, made inside the sandbox. */
  | { kind: 'ok'; result: string; durationMs: number }
  | { kind: 'error'; error: string; violation?: SandboxViolation; durationMs: number };

export interface ProbeReport {
  landlockAbi: number;
  uid: number;
  checks: Record<string, boolean>;
}

/**
 * Largest line accepted on the channel (and so the most it ever holds): two 1 MiB strings of
 * update_file, JSON-escaped, fit.
 */
const MAX_CHANNEL_LINE = 16 * 1024 * 1024;
/** Output the harness itself may write (stderr of a crash); beyond it, output is dropped. */
const MAX_DIAGNOSTIC_BYTES = 8 * 1024;

interface RunRequest {
  mode: SandboxMode;
  python: string;
  hostMemoryRoot: string;
  code: string;
  limits: SandboxLimits;
  onCall: CallHandler;
  probe?: boolean;
  /** Stops the run (its process group killed) when the question ends early. */
  signal?: AbortSignal;
}

/**
 * Starts one sandboxed interpreter per run and speaks with it over a dedicated socket (fd 3): JSON
 * lines for memory-function calls and the final result. stdout is ignored and stderr kept only for
 * diagnostics, so nothing the code prints can pass for a result. The wall-clock limit kills the whole
 * process group.
 */
export class SandboxRunner {
  run(request: RunRequest): Promise<SandboxOutcome & { probe?: ProbeReport; diagnostics: string }> {
    const started = performance.now();
    let command: SandboxCommand;
    try {
      command = buildCommand(request.mode, request.python, request.hostMemoryRoot, {
        memoryBytes: request.limits.memoryBytes,
        cpuSeconds: Math.ceil(request.limits.timeoutMs / 1000) + 1,
        probe: request.probe ?? false,
      });
    } catch (error) {
      const message = `the sandbox could not start (${(error as Error).message})`;
      return Promise.resolve({ kind: 'error', error: message, violation: 'crash', durationMs: 0, diagnostics: '' });
    }
    const child = spawn(command.command, command.args, {
      cwd: command.cwd,
      env: {},
      detached: true,
      stdio: ['pipe', 'ignore', 'pipe', 'pipe'],
    });
    const channel = child.stdio[3] as Duplex;
    let diagnostics = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (diagnostics.length < MAX_DIAGNOSTIC_BYTES)
        diagnostics += chunk.toString('utf8').slice(0, MAX_DIAGNOSTIC_BYTES);
    });

    return new Promise((resolve) => {
      let settled = false;
      const finish = (outcome: SandboxOutcome & { probe?: ProbeReport }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', stop);
        killGroup(child);
        channelReader.stop();
        channel.destroy();
        resolve({ ...outcome, durationMs: performance.now() - started, diagnostics });
      };
      const fail = (error: string, violation?: SandboxViolation) =>
        finish({ kind: 'error', error, violation, durationMs: 0 });

      const timer = setTimeout(() => {
        const seconds = request.limits.timeoutMs / 1000;
        fail(`code execution exceeded the ${seconds}-second limit and was stopped`, 'timeout');
      }, request.limits.timeoutMs);

      child.on('error', (error) => fail(`the sandbox could not start (${error.message})`, 'crash'));
      const channelReader = new ChannelReader(
        channel,
        (line) => handleLine(line),
        (problem) => fail(`the sandbox ${problem}; the run was stopped`, 'channel'),
      );
      // 'close' comes after the channel has delivered everything, so a final message is never lost.
      child.on('close', (code, signal) => {
        const cause = signal ? `signal ${signal}` : `exit code ${code}`;
        const memory = signal === 'SIGKILL' || signal === 'SIGSEGV';
        void channelReader
          .idle()
          .then(() => fail(`the code stopped without a result (${cause})`, memory ? 'memory' : 'crash'));
      });
      // A cancelled or interrupted question does not wait out its code (up to the wall-clock limit).
      const stop = () => fail('the run was stopped: the question ended');
      request.signal?.addEventListener('abort', stop, { once: true });
      if (request.signal?.aborted) stop();

      const handleLine = async (line: string): Promise<void> => {
        const message = parseChannelMessage(line);
        if (message === 'too many members') {
          return fail(
            `the sandbox sent a message of more than ${MAX_MESSAGE_MEMBERS} members; the run was stopped`,
            'channel',
          );
        }
        if (message === 'malformed') return fail('the sandbox sent a malformed message', 'channel');
        switch (message.op) {
          case 'call': {
            if (typeof message.fn !== 'string' || !Array.isArray(message.args)) {
              return fail('the sandbox sent a malformed call', 'channel');
            }
            try {
              const reply = await request.onCall(message.fn, message.args);
              if (!settled) channel.write(`${JSON.stringify(reply)}\n`);
            } catch (error) {
              fail(`a memory function failed on the server (${(error as Error).message})`, 'crash');
            }
            return;
          }
          case 'done':
            if (message.ok === true && typeof message.result === 'string') {
              return finish({ kind: 'ok', result: message.result, durationMs: 0 });
            }
            return fail(String(message.error ?? 'unknown error'), violationOf(message.violation));
          case 'probe':
            return finish({
              kind: 'ok',
              result: '',
              durationMs: 0,
              probe: {
                landlockAbi: Number(message.landlock_abi),
                uid: Number(message.uid),
                checks: message.checks as Record<string, boolean>,
              },
            });
          case 'refused':
            return fail(`the sandbox refused to start: ${String(message.error)}`, 'crash');
          default:
            return fail('the sandbox sent an unknown message', 'channel');
        }
      };

      child.stdin?.on('error', () => undefined);
      // Stage 1 leaves stdin unread; the interpreter running the code reads it.
      child.stdin?.end(
        JSON.stringify({
          code: request.code,
          probe: request.probe ?? false,
          memory_root: command.memoryRoot,
          max_value_chars: request.limits.maxValueChars,
        }),
      );
    });
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/**
 * Reads the channel one message at a time: a message is handled to the end (a call answered) before
 * anything more is read, the stream is paused meanwhile so the sandbox's writes block in the socket,
 * and what is held is capped. The harness sends one line and waits for the answer, so bytes after a
 * complete line, or a line over the cap, can only come from code writing to the channel itself: the
 * run is stopped. Once stopped, nothing more is handled.
 */
class ChannelReader {
  private pending: string[] = [];
  private pendingChars = 0;
  private busy: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly stream: Duplex,
    private readonly onLine: (line: string) => Promise<void>,
    private readonly onViolation: (problem: string) => void,
  ) {
    stream.setEncoding('utf8');
    stream.on('error', () => undefined);
    stream.on('data', (chunk: string) => this.receive(chunk));
  }

  /** Resolves once the message being handled (if any) is done. */
  async idle(): Promise<void> {
    while (this.busy) await this.busy;
  }

  stop(): void {
    this.stopped = true;
    this.pending = [];
  }

  private receive(chunk: string): void {
    if (this.stopped) return;
    // Only the new chunk is searched, so a long line costs one pass, not one per chunk.
    const newline = chunk.indexOf('\n');
    if (newline === -1) {
      this.pending.push(chunk);
      this.pendingChars += chunk.length;
      if (this.pendingChars > MAX_CHANNEL_LINE) this.violate('sent an oversized message');
      return;
    }
    if (newline !== chunk.length - 1) {
      this.violate('sent a second message before the answer to its first');
      return;
    }
    const line = this.pending.join('') + chunk.slice(0, newline);
    this.pending = [];
    this.pendingChars = 0;
    this.stream.pause();
    this.busy = this.onLine(line).finally(() => {
      this.busy = undefined;
      if (!this.stopped) this.stream.resume();
    });
  }

  private violate(problem: string): void {
    this.stop();
    this.onViolation(problem);
  }
}

function violationOf(value: unknown): SandboxViolation | undefined {
  return value === 'memory' || value === 'denied' || value === 'import' ? value : undefined;
}
