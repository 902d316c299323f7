/** Runs `work` and returns what was written to stdout meanwhile (still passed through), e.g. log lines. */
export async function captureStdout(work: () => Promise<void>): Promise<string> {
  const written: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    written.push(String(chunk));
    return write(chunk, ...rest);
  }) as typeof process.stdout.write;
  try {
    await work();
  } finally {
    process.stdout.write = write;
  }
  return written.join('');
}
