import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobView } from '../jobs/job.types';
import { progressPrinter } from './progress-bar';

function terminal(columns: number | undefined) {
  const written: string[] = [];
  const stream = { isTTY: true, columns, write: (text: string) => written.push(text) };
  return { stream: stream as unknown as NodeJS.WriteStream, written };
}

const job = (progress: number, stage: string) => ({ progress, stage, state: 'active' }) as JobView;

describe('the progress bar', () => {
  it("fits the terminal's width, one column short so the cursor never wraps", () => {
    const { stream, written } = terminal(60);
    progressPrinter(stream)(job(50, 'embedded 3,200 of 5,000 memories from a long export name'.repeat(2)));
    assert.equal(written[0][0], '\r');
    assert.equal(written[0].length - 1, 59);
    assert.match(written[0], /^\r\[#{15}-{15}\] {2}50% embedded/);
  });

  it('uses 80 columns when the terminal does not say', () => {
    const { stream, written } = terminal(undefined);
    progressPrinter(stream)(job(5, 'x'.repeat(200)));
    assert.equal(written[0].length - 1, 79);
  });
});
