/** The machine a benchmark ran on, recorded with its results. */
import { availableParallelism, cpus, totalmem } from 'node:os';

export function machineInfo() {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
}
