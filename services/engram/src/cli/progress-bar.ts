import { JobView } from '../jobs/job.types';

const WIDTH = 30;
/** When the terminal does not say how wide it is. */
const FALLBACK_COLUMNS = 80;

/**
 * Job progress on stderr: a redrawn bar on a terminal, one line per stage otherwise (logs, CI). The
 * line is cut to the terminal's width: a longer one wraps, and `\r` then redraws only its last row.
 * A failed or cancelled job draws nothing more: its last stage (seen only now, when the job failed
 * between two polls) is no longer under way, and the command says what went wrong instead; on a
 * terminal the bar is cleared for that line.
 */
export function progressPrinter(
  stream: NodeJS.WriteStream = process.stderr,
): (job: Pick<JobView, 'progress' | 'stage' | 'state'>) => void {
  let lastStage = '';
  let barShown = false;
  return (job) => {
    const columns = Math.max((stream.columns || FALLBACK_COLUMNS) - 1, WIDTH + 8);
    if (job.state === 'failed' || job.state === 'cancelled') {
      if (stream.isTTY && barShown) stream.write(`\r${' '.repeat(columns)}\r`);
      barShown = false;
      return;
    }
    const stage = job.stage ?? job.state;
    if (stream.isTTY) {
      const filled = Math.round((job.progress / 100) * WIDTH);
      const bar = `${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}`;
      stream.write(`\r${`[${bar}] ${String(job.progress).padStart(3)}% ${stage}`.padEnd(columns).slice(0, columns)}`);
      barShown = job.state !== 'completed';
      if (!barShown) stream.write('\n');
    } else if (stage !== lastStage) {
      stream.write(`${job.progress}% ${stage}\n`);
    }
    lastStage = stage;
  };
}
