import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_PRAGMAS, parseSqlitePragmas } from './sqlite-pragmas';

describe('MCP_MEMORY_SQLITE_PRAGMAS', () => {
  it('lays values over the safe defaults, tolerating the multi-line form of the deployment guide', () => {
    const { pragmas, errors } = parseSqlitePragmas(
      '\n  cache_size=20000,\n  temp_store=memory ,busy_timeout = 15000\n',
      'V',
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(pragmas, { ...DEFAULT_PRAGMAS, cache_size: '20000', temp_store: 'MEMORY', busy_timeout: '15000' });
  });

  it('rejects unknown pragma names, naming the accepted ones', () => {
    const { errors } = parseSqlitePragmas('cache_size=100,writable_schema=1', 'MCP_MEMORY_SQLITE_PRAGMAS');
    assert.equal(errors.length, 1);
    assert.match(errors[0], /unknown pragma "writable_schema"; accepted: journal_mode, busy_timeout/);
  });

  it('rejects non-WAL journal modes, synchronous=OFF, bad numbers and malformed items', () => {
    const { errors } = parseSqlitePragmas('journal_mode=DELETE,synchronous=OFF,busy_timeout=soon,cache_size', 'V');
    assert.equal(errors.length, 4, errors.join('\n'));
    assert.match(errors[0], /journal_mode=DELETE .* one of WAL/);
    assert.match(errors[1], /synchronous=OFF/);
    assert.match(errors[2], /busy_timeout=soon .* integer/);
    assert.match(errors[3], /"cache_size" is not of the form name=value/);
  });
});
