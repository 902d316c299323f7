import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { openSqliteDatabase } from '../storage/sqlite.connection';
import { SqliteOAuthStore } from '../storage/sqlite/sqlite-oauth.store';
import { addConnectorWithToken, CONNECTOR_CLIENT_ID } from '../testing/oauth-connector';
import { captureStdout } from '../testing/stdout-capture';
import { makeTempDir } from '../testing/test-app';
import { oauthCommand } from './oauth.command';

/** A store holding one approved connector with a live access token. */
async function storeWithConnector(): Promise<string> {
  const path = join(makeTempDir(), 'engram.db');
  const db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
  await addConnectorWithToken(new SqliteOAuthStore(db));
  db.close();
  return path;
}

async function print(argv: string[]): Promise<{ code: number; printed: string }> {
  let code = -1;
  const printed = await captureStdout(async () => {
    code = await oauthCommand.run(argv);
  });
  return { code, printed };
}

async function run(argv: string[]): Promise<{ code: number; output: any }> {
  const { code, printed } = await print([...argv, '--json']);
  return { code, output: JSON.parse(printed) };
}

describe('engram oauth', () => {
  it('lists connectors with their live tokens, and revoking one ends them', async () => {
    const path = await storeWithConnector();
    const listed = await run(['clients', '--db', path]);
    assert.equal(listed.code, 0);
    assert.deepEqual(
      listed.output.clients.map((client: any) => [client.client_name, client.active_tokens, client.namespaces]),
      [['CLI connector', 1, ['work']]],
    );
    const revoked = await run(['revoke', CONNECTOR_CLIENT_ID, '--yes', '--db', path]);
    assert.deepEqual(revoked, {
      code: 0,
      output: { client_id: CONNECTOR_CLIENT_ID, revoked_tokens: 1 },
    });
    assert.equal((await run(['clients', '--db', path])).output.clients[0].active_tokens, 0);
  });

  it('prints a table for people unless --json is given', async () => {
    const path = await storeWithConnector();
    const listed = await print(['clients', '--db', path]);
    assert.equal(listed.code, 0);
    const [header, row, ...rest] = listed.printed.trimEnd().split('\n');
    assert.match(header, /^CLIENT ID\s+NAME\s+SOURCE\s+APPROVED\s+LIVE TOKENS\s+NAMESPACES\s+LAST TOKEN$/);
    assert.match(
      row,
      /^b2c1f7e0-0000-4000-8000-000000000001\s+CLI connector\s+registration\s+-\s+1\s+work\s+\d{4}-\d\d-\d\d$/,
    );
    assert.deepEqual(rest, []);
    const revoked = await print(['revoke', CONNECTOR_CLIENT_ID, '--yes', '--db', path]);
    assert.deepEqual(revoked, { code: 0, printed: 'revoked 1 token(s) of b2c1f7e0-0000-4000-8000-000000000001\n' });
  });

  it('says an unknown client id is unknown, exit 66', async () => {
    const path = await storeWithConnector();
    const unknown = await print(['revoke', '00000000-0000-4000-8000-000000000000', '--yes', '--db', path]);
    assert.deepEqual(unknown, { code: 66, printed: '' });
  });
});
