import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeTempDir } from '../../testing/temp-dir';
import { ImportSource } from '../imports.types';
import { ImportReader } from './import-reader';
import { ReadRequest } from './import-reading';

const SETTINGS = { chunkChars: 400, overlapChars: 80, maxContentBytes: 65536 };
/** Far past the step limits below, far short of what the hostile pages took before they were read linearly (hours). */
const DEADLINE_MS = 120_000;

describe('import reading passes: a file built to be slow to read is refused in bounded time', () => {
  const dir = makeTempDir('engram-import-reader-');

  function request(name: string, data: string, stepTimeoutMs: number): ReadRequest {
    writeFileSync(join(dir, name), data);
    return {
      location: join(dir, name),
      name,
      limits: { maxUnpackedBytes: 50 * 1024 * 1024, maxEntries: 1000 },
      source: ImportSource.Documents,
      target: 'memories',
      items: SETTINGS,
      stepTimeoutMs,
    };
  }

  /** Reads the whole pass: the number of items, or the pass's error; a pass still reading at DEADLINE_MS fails. */
  async function readWhole(read: ReadRequest): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`still reading after ${DEADLINE_MS / 1000} s`)), DEADLINE_MS);
    });
    const whole = (async () => {
      const reader = await ImportReader.open(read);
      let items = 0;
      for await (const unit of reader.units()) items += unit.kind === 'items' ? unit.items.length : 0;
      return items;
    })();
    try {
      return await Promise.race([whole, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  it('stops a pass that reads one file longer than the step limit, naming the file and the setting', async () => {
    // No HTML is known any more that the converter takes more than linear time over, so the limit is shown
    // on a page too large for it: these 27 MB take some 13 s of CPU here, 26 times the limit.
    const name = 'large.html';
    const page = '<p>A plan for the <b>week</b>.</p>'.repeat(24 * 32 * 1024);
    await assert.rejects(
      readWhole(request(name, page, 500)),
      /reading large\.html took more than 0\.5 s without progress \(ENGRAM_IMPORT_READ_TIMEOUT_SECONDS\)/,
    );
  });

  it('reads an ordinary page whole under the same kind of limit, and the broken pages that took hours', async () => {
    const page = `<html><head><title>Plans</title></head><body>${'<p>A plan for the <b>week</b>.</p>'.repeat(2000)}</body></html>`;
    assert.ok((await readWhole(request('page.html', page, 60_000))) > 0);
    // Mis-nested tags and unclosed comments: hours in the converter before HTML was rewritten well-formed.
    assert.ok((await readWhole(request('mismatched.html', '<span><em></span>x'.repeat(4000), 60_000))) > 0);
    assert.ok((await readWhole(request('comments.html', `text${'<!--'.repeat(300_000)}`, 60_000))) > 0);
    // A 400 KB word in a list item: minutes while the converter's list-item rule read it once per character.
    assert.ok((await readWhole(request('long-word.html', `<ul><li>${'x'.repeat(400_000)}</li></ul>`, 60_000))) > 0);
  });
});
