import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBasicCredentials, presentedClient } from './client-credentials';

const basic = (raw: string) => Buffer.from(raw).toString('base64');

describe('client credentials (RFC 6749 §2.3.1)', () => {
  it('form-decodes both halves of Basic credentials: + is a space, %XX an octet', () => {
    assert.deepEqual(decodeBasicCredentials(basic('my+client%3Aone:s%2Bcr%C3%A9t+2')), {
      clientId: 'my client:one',
      secret: 's+crét 2',
    });
  });

  it('refuses malformed Basic credentials, and a NUL in either half, as invalid_client (401)', () => {
    const nul = [basic('%00:secret'), basic('client:s%00'), basic('cli\u0000ent:secret')];
    for (const header of [basic('client:%E0%A4%A'), basic('no-colon'), 'not*base64', ...nul]) {
      assert.throws(
        () => decodeBasicCredentials(header),
        (error: any) => error.error === 'invalid_client' && error.status === 401,
      );
    }
  });

  it('tells the method from where the credentials are, and refuses two methods at once', () => {
    assert.equal(presentedClient({ client_id: 'a' }).method, 'none');
    assert.equal(presentedClient({ client_id: 'a', client_secret: 's' }).method, 'client_secret_post');
    assert.equal(presentedClient({}, `Basic ${basic('a:s')}`).method, 'client_secret_basic');
    assert.throws(
      () => presentedClient({ client_secret: 's' }, `Basic ${basic('a:s')}`),
      /send client credentials once/,
    );
    assert.throws(() => presentedClient({ client_id: 'b' }, `Basic ${basic('a:s')}`), /differs/);
  });
});
