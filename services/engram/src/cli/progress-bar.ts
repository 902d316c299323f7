import { JobView } from '../jobs/job.types';

const WIDTH = 30;

/** Job progress on stderr: a redrawn bar on a terminal, one line per stage otherwise (logs, CI). */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (job: JobView) => void {
  let lastStage = '';
  return (job) => {
    const stage = job.stage ?? job.state;
    if (stream.isTTY) {
      const filled = Math.round((job.progress / 100) * WIDTH);
      const bar = `${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}`;
      stream.write(`\r[${bar}] ${String(job.progress).padStart(3)}% ${stage}`.padEnd(100).slice(0, 100));
      if (['completed', 'failed', 'cancelled'].includes(job.state)) stream.write('\n');
    } else if (stage !== lastStage) {
      stream.write(`${job.progress}% ${stage}\n`);
    }
    lastStage = stage;
  };
}
