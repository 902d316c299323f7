/**
 * The CPU time this process spends while `work` runs, in milliseconds. Unlike wall-clock time or event-loop
 * lag it does not grow while other processes hold the machine's cores, so a bound on it tests the code's
 * own cost on a loaded machine too.
 */
export async function cpuTimeOf(work: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await work();
  return millisecondsSince(before);
}

/** cpuTimeOf for work that completes synchronously. */
export function cpuTimeOfSync(work: () => unknown): number {
  const before = process.cpuUsage();
  work();
  return millisecondsSince(before);
}

function millisecondsSince(before: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(before);
  return (user + system) / 1000;
}
