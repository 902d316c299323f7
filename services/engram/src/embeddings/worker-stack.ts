/** Node's own default for a worker thread's stack. */
const DEFAULT_STACK_MB = 4;
/**
 * Stack a worker thread reserves per byte of the process's command line. onnxruntime's start-up
 * (InitOrtOnce, on the thread that first loads it) recurses ~290 bytes deep per byte of
 * /proc/self/cmdline, whatever the text: a 14 KB `engram store <text>` overflowed the default 4 MB and
 * killed the process (exit 139); 64 KiB of content (the default limit) needs 19 MB. 512 leaves room
 * for other builds of the library.
 */
const STACK_BYTES_PER_COMMAND_LINE_BYTE = 512;

/**
 * Stack size (MB) for a worker that may load onnxruntime: what the command line costs, never below the
 * default. The api's short command line keeps the default; `engram store` with 64 KiB gets 33 MB, and a
 * longer one (a raised ENGRAM_MAX_CONTENT_BYTES) gets more rather than a crash. Only touched pages
 * take memory.
 */
export function workerStackSizeMb(commandLine: readonly string[] = [...process.execArgv, ...process.argv]): number {
  const bytes = commandLine.reduce((total, arg) => total + Buffer.byteLength(arg) + 1, 0);
  return Math.max(DEFAULT_STACK_MB, Math.ceil((bytes * STACK_BYTES_PER_COMMAND_LINE_BYTE) / (1024 * 1024)));
}
