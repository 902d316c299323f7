import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { OpenedStorage, postgresAdapter, sqliteAdapter, StorageAdapterUnderTest } from '../testing/storage-adapters';
import { ClientRecord, CodeRecord, Issuance, PendingConsentRecord, TokenRecord } from './oauth.store';

const MODEL = { modelId: 'oauth-contract-model', dimension: 4 };
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

let made = 0;
const next = () => (made += 1);

function client(clientId: string, fields: Partial<ClientRecord> = {}): ClientRecord {
  return {
    clientId,
    secretHash: null,
    metadata: {
      redirect_uris: ['https://connector.example.com/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      client_name: `Connector ${clientId}`,
    },
    createdAt: T0,
    source: 'registration',
    grantedAt: null,
    ...fields,
  };
}

function code(clientId: string, fields: Partial<CodeRecord> = {}): CodeRecord {
  const n = next();
  return {
    codeHash: `code-${n}`,
    clientId,
    redirectUri: 'https://connector.example.com/callback',
    codeChallenge: 'challenge',
    scopes: ['read', 'write'],
    namespace: 'default',
    resource: 'https://engram.example.com/mcp',
    expiresAt: T0 + 60_000,
    usedAt: null,
    familyId: `family-${n}`,
    ...fields,
  };
}

function token(clientId: string, familyId: string, fields: Partial<TokenRecord> = {}): TokenRecord {
  return {
    tokenHash: `token-${next()}`,
    kind: 'access',
    clientId,
    familyId,
    scopes: ['read'],
    namespace: 'default',
    audience: 'https://engram.example.com/mcp',
    createdAt: T0,
    grantedAt: T0,
    expiresAt: T0 + 3_600_000,
    rotatedAt: null,
    revokedAt: null,
    ...fields,
  };
}

/** What the service does with a good code or refresh token: a new access and refresh token of the family. */
function issuePair(record: { clientId: string; familyId: string }): Issuance<string[]> {
  const tokens = [
    token(record.clientId, record.familyId),
    token(record.clientId, record.familyId, { kind: 'refresh', expiresAt: T0 + 30 * DAY }),
  ];
  return { tokens, answer: tokens.map((issued) => issued.tokenHash) };
}

function consent(fields: Partial<PendingConsentRecord> = {}): PendingConsentRecord {
  const n = next();
  return {
    requestId: `request-${n}`,
    csrfHash: `csrf-digest-${n}`,
    request: JSON.stringify({ redirectUri: 'https://connector.example.com/callback', n }),
    expiresAt: T0 + 600_000,
    source: '203.0.113.7',
    ...fields,
  };
}

/**
 * The OAuth store's contract, run against every adapter. "Replicas" are two stores opened on the same
 * database (two SQLite connections to one file; two `pg` pools to one server), as two api processes are.
 */
for (const adapter of [sqliteAdapter(), postgresAdapter()]) {
  describe(`OAuth store contract: ${adapter.name}`, () => contract(adapter));
}

function contract(adapter: StorageAdapterUnderTest): void {
  let replica: OpenedStorage;
  let other: OpenedStorage;
  before(() => adapter.start());
  after(() => adapter.stop());
  beforeEach(async () => {
    await adapter.wipe();
    replica = await adapter.open(MODEL);
    other = await adapter.open(MODEL);
  });
  afterEach(async () => {
    await replica.close();
    await other.close();
  });

  /** A client with one stored code, approved at T0. */
  async function approvedCode(clientId = `client-${next()}`): Promise<CodeRecord> {
    await replica.oauth.insertClient(client(clientId));
    const issued = code(clientId);
    await replica.oauth.recordApproval(client(clientId), issued, T0);
    return issued;
  }

  /** A client whose code was exchanged for an access and a refresh token; answers the refresh token. */
  async function refreshable(): Promise<TokenRecord> {
    const issued = await approvedCode();
    const redeemed = await replica.oauth.redeemCode(issued.codeHash, issued.clientId, T0, issuePair);
    assert.equal(redeemed.status, 'redeemed');
    const [, refresh] = redeemed.status === 'redeemed' ? redeemed.answer : [];
    return (await replica.oauth.findToken(refresh))!;
  }

  describe('clients', () => {
    it('registers a client and reads it back on another replica; an unknown id is undefined', async () => {
      const registered = client('c-1', { secretHash: 'secret-digest' });
      await replica.oauth.insertClient(registered);
      assert.deepEqual(await other.oauth.findClient('c-1'), registered);
      assert.equal(await other.oauth.findClient('c-unknown'), undefined);
      await assert.rejects(replica.oauth.insertClient(client('c-1')), 'one row per client id');
    });

    it('an approval saves a metadata-document client, keeps its metadata current, and records the first approval only', async () => {
      const url = 'https://connector.example.com/client.json';
      const document = client(url, { source: 'metadata_document', createdAt: T0 });
      await replica.oauth.recordApproval(document, code(url), T0 + 1000);
      const renamed = { ...document.metadata, client_name: 'Renamed connector' };
      await other.oauth.recordApproval({ ...document, metadata: renamed, createdAt: T0 + 5000 }, code(url), T0 + 5000);
      assert.deepEqual(await replica.oauth.findClient(url), {
        ...document,
        metadata: renamed,
        createdAt: T0,
        grantedAt: T0 + 1000,
      });
    });

    it('prunes registrations never approved before the cutoff; approved and recent ones stay', async () => {
      await replica.oauth.insertClient(client('idle', { createdAt: T0 }));
      await replica.oauth.insertClient(client('recent', { createdAt: T0 + DAY }));
      const approved = await approvedCode('approved');
      assert.equal(await replica.oauth.pruneUngrantedClients(T0 + 1), 1);
      assert.equal(await replica.oauth.findClient('idle'), undefined);
      assert.ok(await replica.oauth.findClient('recent'));
      assert.ok(await replica.oauth.findClient(approved.clientId));
    });

    it('lists clients with their live access tokens and namespaces; revoking a client counts its live tokens', async () => {
      const now = T0 + 1000;
      await replica.oauth.insertClient(client('listed', { createdAt: T0 }));
      await replica.oauth.insertClient(client('quiet', { createdAt: T0 + 1 }));
      await replica.oauth.insertToken(token('listed', 'f1', { namespace: 'work', createdAt: T0 + 10 }));
      await replica.oauth.insertToken(token('listed', 'f2', { namespace: 'alice', createdAt: T0 + 20 }));
      await replica.oauth.insertToken(token('listed', 'f3', { namespace: 'work', createdAt: T0 + 30 }));
      await replica.oauth.insertToken(token('listed', 'f4', { kind: 'refresh', namespace: 'refresh-only' }));
      await replica.oauth.insertToken(token('listed', 'f5', { namespace: 'expired', expiresAt: now }));
      const revoked = token('listed', 'f6', { namespace: 'revoked' });
      await replica.oauth.insertToken(revoked);
      await replica.oauth.revokeToken(revoked.tokenHash, T0);
      const listed = await other.oauth.listClients(now);
      assert.deepEqual(
        listed.map(({ clientId, activeTokens, namespaces, lastTokenAt }) => ({
          clientId,
          activeTokens,
          namespaces,
          lastTokenAt,
        })),
        [
          { clientId: 'listed', activeTokens: 3, namespaces: ['alice', 'work'], lastTokenAt: T0 + 30 },
          { clientId: 'quiet', activeTokens: 0, namespaces: [], lastTokenAt: null },
        ],
      );
      assert.equal(listed[0].metadata.client_name, 'Connector listed');
      // Live: the three access tokens and the refresh token; not the expired or the revoked one.
      assert.equal(await other.oauth.revokeClientTokens('listed', now), 4);
      assert.equal(await replica.oauth.revokeClientTokens('listed', now), 0);
    });
  });

  describe('authorization codes', () => {
    it('redeems a code once: the first redemption stores its tokens, a replay revokes them', async () => {
      const issued = await approvedCode();
      assert.equal((await replica.oauth.findClient(issued.clientId))!.grantedAt, T0);
      const first = await replica.oauth.redeemCode(issued.codeHash, issued.clientId, T0 + 10, (stored) => {
        assert.deepEqual(stored, { ...issued, usedAt: T0 + 10 });
        return issuePair(stored);
      });
      assert.equal(first.status, 'redeemed');
      const hashes = first.status === 'redeemed' ? first.answer : [];
      for (const hash of hashes) assert.equal((await other.oauth.findToken(hash))!.revokedAt, null);
      const replay = await other.oauth.redeemCode(issued.codeHash, issued.clientId, T0 + 20, () => {
        throw new Error('a spent code is never issued again');
      });
      assert.deepEqual(replay, { status: 'replayed' });
      for (const hash of hashes) assert.equal((await replica.oauth.findToken(hash))!.revokedAt, T0 + 20);
    });

    it('of two replicas redeeming one code at once, exactly one wins', async () => {
      const issued = await approvedCode();
      const outcomes = await Promise.all(
        [replica, other].map((store) => store.oauth.redeemCode(issued.codeHash, issued.clientId, T0 + 10, issuePair)),
      );
      assert.deepEqual(outcomes.map((outcome) => outcome.status).sort(), ['redeemed', 'replayed']);
      const winner = outcomes.find((outcome) => outcome.status === 'redeemed')!;
      // The loser's redemption is a replay: the winner's tokens are revoked with the family.
      for (const hash of winner.status === 'redeemed' ? winner.answer : []) {
        assert.equal((await replica.oauth.findToken(hash))!.revokedAt, T0 + 10);
      }
    });

    it('a refused redemption still spends the code and stores nothing', async () => {
      const issued = await approvedCode();
      const refused = await replica.oauth.redeemCode(issued.codeHash, issued.clientId, T0 + 10, () => ({
        tokens: [],
        answer: 'expired',
      }));
      assert.deepEqual(refused, { status: 'redeemed', answer: 'expired' });
      const again = await replica.oauth.redeemCode(issued.codeHash, issued.clientId, T0 + 20, issuePair);
      assert.deepEqual(again, { status: 'replayed' });
    });

    it("another client's code is unknown to it, and stays redeemable by its own client", async () => {
      const issued = await approvedCode();
      await replica.oauth.insertClient(client('intruder'));
      const stolen = await replica.oauth.redeemCode(issued.codeHash, 'intruder', T0 + 10, issuePair);
      assert.deepEqual(stolen, { status: 'unknown' });
      assert.deepEqual(await replica.oauth.redeemCode('code-unknown', issued.clientId, T0, issuePair), {
        status: 'unknown',
      });
      assert.equal(
        (await replica.oauth.redeemCode(issued.codeHash, issued.clientId, T0 + 10, issuePair)).status,
        'redeemed',
      );
    });
  });

  describe('refresh tokens', () => {
    it('rotates a refresh token once; presenting it again revokes the whole family, new tokens included', async () => {
      const refresh = await refreshable();
      const rotated = await other.oauth.rotateRefreshToken(refresh.tokenHash, refresh.clientId, T0 + 100, (stored) => {
        assert.deepEqual(stored, refresh);
        return issuePair(stored);
      });
      assert.equal(rotated.status, 'redeemed');
      assert.equal((await replica.oauth.findToken(refresh.tokenHash))!.rotatedAt, T0 + 100);
      const replay = await replica.oauth.rotateRefreshToken(refresh.tokenHash, refresh.clientId, T0 + 200, issuePair);
      assert.deepEqual(replay, { status: 'replayed' });
      for (const hash of rotated.status === 'redeemed' ? rotated.answer : []) {
        assert.equal((await other.oauth.findToken(hash))!.revokedAt, T0 + 200);
      }
    });

    it('of two replicas refreshing one token at once, exactly one rotates it', async () => {
      const refresh = await refreshable();
      const outcomes = await Promise.all(
        [replica, other].map((store) =>
          store.oauth.rotateRefreshToken(refresh.tokenHash, refresh.clientId, T0 + 100, issuePair),
        ),
      );
      assert.deepEqual(outcomes.map((outcome) => outcome.status).sort(), ['redeemed', 'replayed']);
    });

    it('a refusal leaves the token unrotated; a revoked one counts as replayed; an access token or another client is unknown', async () => {
      const refresh = await refreshable();
      const refused = await replica.oauth.rotateRefreshToken(refresh.tokenHash, refresh.clientId, T0 + 100, () => ({
        tokens: [],
        answer: 'scope refused',
      }));
      assert.deepEqual(refused, { status: 'redeemed', answer: 'scope refused' });
      assert.equal((await replica.oauth.findToken(refresh.tokenHash))!.rotatedAt, null);
      assert.deepEqual(await replica.oauth.rotateRefreshToken(refresh.tokenHash, 'someone-else', T0, issuePair), {
        status: 'unknown',
      });
      const access = token(refresh.clientId, refresh.familyId);
      await replica.oauth.insertToken(access);
      assert.deepEqual(await replica.oauth.rotateRefreshToken(access.tokenHash, refresh.clientId, T0, issuePair), {
        status: 'unknown',
      });
      await other.oauth.revokeFamily(refresh.familyId, T0 + 150);
      assert.deepEqual(
        await replica.oauth.rotateRefreshToken(refresh.tokenHash, refresh.clientId, T0 + 200, issuePair),
        { status: 'replayed' },
      );
      assert.equal(
        (await replica.oauth.findToken(access.tokenHash))!.revokedAt,
        T0 + 150,
        'the first revocation stays',
      );
    });
  });

  describe('expiry', () => {
    it('prunes codes and tokens expired for more than a day; recent ones stay', async () => {
      const old = await approvedCode();
      const oldToken = token(old.clientId, old.familyId, { expiresAt: T0 });
      const recentToken = token(old.clientId, old.familyId, { expiresAt: T0 + DAY });
      await replica.oauth.insertToken(oldToken);
      await replica.oauth.insertToken(recentToken);
      await replica.oauth.pruneExpired(T0 + 60_000 + DAY + 1);
      assert.equal(await replica.oauth.findToken(oldToken.tokenHash), undefined);
      assert.ok(await replica.oauth.findToken(recentToken.tokenHash));
      assert.deepEqual(await replica.oauth.redeemCode(old.codeHash, old.clientId, T0, issuePair), {
        status: 'unknown',
      });
    });
  });

  describe('pending consents', () => {
    it('a consent opened on one replica is taken on another, once', async () => {
      const pending = consent();
      await replica.oauth.openConsent(pending, T0, 1000);
      assert.equal(await other.oauth.findConsent(pending.requestId, pending.csrfHash, T0 + 1), pending.request);
      assert.equal(await other.oauth.findConsent(pending.requestId, pending.csrfHash, T0 + 2), pending.request);
      assert.equal(await other.oauth.takeConsent(pending.requestId, pending.csrfHash, T0 + 3), pending.request);
      assert.equal(await replica.oauth.takeConsent(pending.requestId, pending.csrfHash, T0 + 4), undefined);
      assert.equal(await replica.oauth.findConsent(pending.requestId, pending.csrfHash, T0 + 4), undefined);
    });

    it('of two replicas taking one consent at once, exactly one gets it', async () => {
      const pending = consent();
      await replica.oauth.openConsent(pending, T0, 1000);
      const taken = await Promise.all(
        [replica, other].map((store) => store.oauth.takeConsent(pending.requestId, pending.csrfHash, T0 + 1)),
      );
      assert.deepEqual(
        taken.filter((request) => request !== undefined),
        [pending.request],
      );
    });

    it('refuses a wrong CSRF digest without consuming the consent', async () => {
      const pending = consent();
      await replica.oauth.openConsent(pending, T0, 1000);
      assert.equal(await other.oauth.findConsent(pending.requestId, 'forged-digest', T0 + 1), undefined);
      assert.equal(await other.oauth.takeConsent(pending.requestId, 'forged-digest', T0 + 1), undefined);
      assert.equal(await other.oauth.findConsent('request-unknown', pending.csrfHash, T0 + 1), undefined);
      assert.equal(await other.oauth.takeConsent(pending.requestId, pending.csrfHash, T0 + 2), pending.request);
    });

    it('refuses an expired consent, and forgets expired ones when the next opens', async () => {
      const pending = consent({ expiresAt: T0 + 600_000 });
      await replica.oauth.openConsent(pending, T0, 1000);
      assert.equal(await other.oauth.findConsent(pending.requestId, pending.csrfHash, T0 + 600_000), undefined);
      assert.equal(await other.oauth.takeConsent(pending.requestId, pending.csrfHash, T0 + 600_000), undefined);
      await other.oauth.openConsent(consent({ expiresAt: T0 + 1_200_000 }), T0 + 600_000, 1000);
      assert.equal(await replica.oauth.findConsent(pending.requestId, pending.csrfHash, T0), undefined, 'deleted');
    });

    it('keeps at most the newest `keep` consents', async () => {
      const opened = Array.from({ length: 5 }, (_, n) => consent({ expiresAt: T0 + 600_000 + n }));
      for (const pending of opened) await replica.oauth.openConsent(pending, T0, 3);
      const live = [];
      for (const pending of opened) live.push(await other.oauth.findConsent(pending.requestId, pending.csrfHash, T0));
      assert.deepEqual(
        live.map((request) => request !== undefined),
        [false, false, true, true, true],
      );
    });

    it("when full, the source holding the most loses its oldest: a flood pushes out its own consents, never another's", async () => {
      let at = T0 + 600_000;
      const from = (source: string) => consent({ source, expiresAt: (at += 1) });
      const operator = from('198.51.100.4');
      const flooder = from('203.0.113.66');
      await replica.oauth.openConsent(flooder, T0, 3);
      await other.oauth.openConsent(operator, T0, 3);
      const flood = Array.from({ length: 5 }, () => from('203.0.113.66'));
      for (const pending of flood) await replica.oauth.openConsent(pending, T0, 3);
      const live = async (pending: PendingConsentRecord) =>
        (await other.oauth.findConsent(pending.requestId, pending.csrfHash, T0)) !== undefined;
      assert.equal(await live(operator), true, "the flood pushed out another source's consent");
      assert.deepEqual(
        await Promise.all([flooder, ...flood].map(live)),
        [false, false, false, false, true, true],
        "the flood's newest two are kept",
      );
      // Sources holding as many: the oldest consent of them goes, as before.
      const second = from('192.0.2.9');
      await replica.oauth.openConsent(second, T0, 3);
      await replica.oauth.openConsent(from('192.0.2.10'), T0, 3);
      assert.equal(await live(operator), false);
      assert.equal(await live(second), true);
    });
  });
}
