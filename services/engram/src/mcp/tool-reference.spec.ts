import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REFERENCE_END, REFERENCE_START, renderToolReference } from './tool-reference';

const DOC = join(__dirname, '..', '..', '..', '..', 'docs', 'mcp.md');

describe('docs/mcp.md tool reference', () => {
  it('matches the catalog the server serves (run `npm run docs:mcp` after changing a tool)', () => {
    const doc = readFileSync(DOC, 'utf8');
    const start = doc.indexOf(REFERENCE_START);
    const end = doc.indexOf(REFERENCE_END) + REFERENCE_END.length;
    assert.ok(start >= 0 && end > start, 'the generated section markers are present');
    assert.equal(doc.slice(start, end), renderToolReference());
  });

  it('documents every tool with its arguments', () => {
    const reference = renderToolReference();
    for (const name of [
      'memory_store',
      'memory_search',
      'search',
      'fetch',
      'retrieve_memory',
      'check_database_health',
    ]) {
      assert.match(reference, new RegExp(`#### \`${name}\``));
    }
    assert.match(reference, /\| `n_results` \| integer 1–100 \|/);
    assert.match(reference, /\| `dry_run` \| boolean \|/);
  });
});
