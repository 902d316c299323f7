import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobView } from '../jobs/job.types';
import { progressPrinter } from './progress-bar';

function terminal(columns: number | undefined) {
  const written: string[] = [];
  const stream = { isTTY: true, columns, write: (text: string) => written.push(text) };
  return { stream: stream as unknown as NodeJS.WriteStream, written };
}

const job = (progress: number, stage: string, state: JobView['state'] = 'active') =>
  ({ progress, stage, state }) as JobView;

function log() {
  const written: string[] = [];
  const stream = { isTTY: false, write: (text: string) => written.push(text) };
  return { stream: stream as unknown as NodeJS.WriteStream, written };
}

describe('the progress bar', () => {
  it("fits the terminal's width, one column short so the cursor never wraps", () => {
    const { stream, written } = terminal(60);
    progressPrinter(stream)(job(50, 'embedded 3,200 of 5,000 memories from a long export name'.repeat(2)));
    assert.equal(written[0][0], '\r');
    assert.equal(written[0].length - 1, 59);
    assert.match(written[0], /^\r\[#{15}-{15}\] {2}50% embedded/);
  });

  it('prints no progress once the job has failed or was cancelled, though its last stage is new', () => {
    for (const state of ['failed', 'cancelled'] as const) {
      const { stream, written } = log();
      const print = progressPrinter(stream);
      print(job(0, 'reading'));
      print(job(1, 'checking export.zip', state)); // the job got there and failed between two polls
      assert.deepEqual(written, ['0% reading\n'], state);
    }
  });

  it("clears a terminal's bar when the job fails, so the error line stands alone", () => {
    const { stream, written } = terminal(60);
    const print = progressPrinter(stream);
    print(job(40, 'storing'));
    print(job(40, 'storing', 'failed'));
    assert.equal(written.length, 2);
    assert.equal(written[1], `\r${' '.repeat(59)}\r`);
  });

  it('uses 80 columns when the terminal does not say', () => {
    const { stream, written } = terminal(undefined);
    progressPrinter(stream)(job(5, 'x'.repeat(200)));
    assert.equal(written[0].length - 1, 79);
  });
});
