import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AUDIT_ACTIONS } from './audit-event';

const API_DOC = readFileSync(join(__dirname, '..', '..', '..', '..', 'docs', 'api.md'), 'utf8');

/** The actions the first column of docs/api.md's `| Action | Recorded when | …` table names. */
function tableActions(): string[] {
  const table = API_DOC.slice(API_DOC.indexOf('| Action '));
  const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
  return rows.flatMap((row) => [...row.split('|')[1].matchAll(/`([a-z_.]+)`/g)].map(([, action]) => action));
}

describe('docs/api.md audit log table', () => {
  it('names every action the audit log records, and no other', () => {
    const named = tableActions();
    assert.ok(named.length >= 10, `${named.length} actions in the table`);
    assert.deepEqual(
      AUDIT_ACTIONS.filter((action) => !named.includes(action)),
      [],
      'actions the table does not name',
    );
    assert.deepEqual(
      named.filter((action) => !(AUDIT_ACTIONS as readonly string[]).includes(action)),
      [],
      'actions the table names that the audit log never records',
    );
  });
});
