import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  loadConsentPage,
  postConsent,
  registerAndConsent,
  registerConnector,
  startOAuthTestApp,
  TEST_REDIRECT,
} from '../testing/oauth-flow';
import { startTestRedis, TestRedis } from '../testing/redis-server';
import { startTestApp, TestApp } from '../testing/test-app';

const API_KEY = 'limits-bootstrap-key-0123456789';
/** The test talks to the server from 127.0.0.1, which plays the ingress when it is trusted. */
const INGRESS = '127.0.0.1/32';

const from = (address: string, key?: string): Record<string, string> => ({
  'x-forwarded-for': address,
  ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
});

describe('the failed-credential limiter behind a trusted proxy (ENGRAM_TRUSTED_PROXIES)', () => {
  let api: TestApp;
  const get = (headers: Record<string, string>) => api.request('GET', '/api/memories', { headers });

  before(async () => {
    api = await startTestApp({ MCP_API_KEY: API_KEY, ENGRAM_TRUSTED_PROXIES: `${INGRESS}, fd00::/8` });
  });
  after(() => api.close());

  it('never refuses a valid key, even from an address past its failure budget', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push((await get(from('203.0.113.9', `wrong-key-${i}`))).status);
    assert.deepEqual([...new Set(statuses.slice(0, 30))], [401], 'thirty wrong keys a minute are answered 401');
    assert.equal(statuses.at(-1), 429);
    const limited = await get(from('203.0.113.9', 'wrong-key-again'));
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.equal((await get(from('203.0.113.9', API_KEY))).status, 200, 'a valid key is served');
  });

  it("counts failures per client address as the proxy reports it: one client's failures leave others alone", async () => {
    assert.equal((await get(from('198.51.100.7', 'wrong-key'))).status, 401);
    // A client cannot escape by prepending addresses of its own: the hop the trusted proxy added counts.
    assert.equal((await get(from('10.1.2.3, 203.0.113.9', 'wrong-key'))).status, 429);
    assert.equal((await get(from('203.0.113.9, 198.51.100.7', 'wrong-key'))).status, 401);
  });

  it('limits failures per presented key prefix across addresses, without touching other prefixes', async () => {
    const prefix = 'egk_AbCdEf';
    for (let i = 0; i < 30; i++) {
      assert.equal((await get(from(`192.0.2.${i + 1}`, `${prefix}${randomBytes(8).toString('hex')}`))).status, 401);
    }
    assert.equal((await get(from('192.0.2.100', `${prefix}-one-more`))).status, 429, 'the prefix is over budget');
    assert.equal((await get(from('192.0.2.101', 'egk_ZyXwVu-another'))).status, 401, 'other prefixes are not');
  });
});

describe('the failed-credential limiter without trusted proxies', () => {
  it('ignores X-Forwarded-For, so a client cannot spread its failures over invented addresses', async () => {
    const api = await startTestApp({ MCP_API_KEY: API_KEY });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 31; i++) {
        statuses.push((await api.request('GET', '/api/memories', { headers: from(`203.0.113.${i}`, `w${i}`) })).status);
      }
      assert.equal(statuses.at(-1), 429);
      assert.equal((await api.request('GET', '/api/memories', { headers: from('8.8.8.8', API_KEY) })).status, 200);
    } finally {
      await api.close();
    }
  });
});

describe("the OAuth endpoints' limiter behind a trusted proxy", () => {
  let api: TestApp;
  let base: string;

  before(async () => {
    api = await startOAuthTestApp(API_KEY, { ENGRAM_TRUSTED_PROXIES: INGRESS, ENGRAM_OAUTH_OPEN_REGISTRATION: 'true' });
    base = api.url;
  });
  after(() => api.close());

  const form = (path: string, fields: Record<string, string>, address: string) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: from(address),
      body: new URLSearchParams(fields),
      redirect: 'manual',
    });

  const authorize = (address: string, credential = API_KEY) => registerAndConsent(base, credential, from(address));

  it('serves a valid code exchange from an address whose bad token calls went past the budget', async () => {
    const { clientId, verifier, code } = await authorize('203.0.113.20');
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) {
      const bad = await form(
        '/oauth/token',
        { grant_type: 'refresh_token', refresh_token: `bad-${i}`, client_id: clientId },
        '203.0.113.20',
      );
      statuses.push(bad.status);
    }
    assert.equal(statuses[0], 400);
    assert.equal(statuses.at(-1), 429, 'bad calls past the budget are slowed down');
    const exchange = await form(
      '/oauth/token',
      {
        grant_type: 'authorization_code',
        code: code!,
        redirect_uri: TEST_REDIRECT,
        code_verifier: verifier,
        client_id: clientId,
      },
      '203.0.113.20',
    );
    assert.equal(exchange.status, 200, await exchange.clone().text());
    assert.ok(((await exchange.json()) as { access_token?: string }).access_token);
    const elsewhere = await form(
      '/oauth/token',
      { grant_type: 'refresh_token', refresh_token: 'bad', client_id: clientId },
      '198.51.100.20',
    );
    assert.equal(elsewhere.status, 400, "another client's address is not limited");
  });

  it("limits wrong operator sign-ins per client address, so one address's guesses do not lock the operator out", async () => {
    for (let i = 0; i < 10; i++) assert.equal((await authorize('203.0.113.30', `wrong password ${i}`)).status, 401);
    assert.equal((await authorize('203.0.113.30')).status, 429, 'the guessing address waits, even with the right key');
    const operator = await authorize('198.51.100.30');
    assert.equal(operator.status, 303, 'the operator signs in from their own address');
    assert.ok(operator.code);
  });

  it('counts the addresses of one IPv6 /64 as one client, so wrong sign-ins cannot be spread over them', async () => {
    for (let i = 0; i < 10; i++) {
      assert.equal((await authorize(`2001:db8:30:30::${i + 1}`, `wrong password ${i}`)).status, 401);
    }
    assert.equal(
      (await authorize('2001:db8:30:30:ffff::99', 'one more guess')).status,
      429,
      'a fresh address of that /64',
    );
    assert.equal((await authorize('2001:db8:30:31::1')).status, 303, 'the next /64 is another client');
  });
});

describe('the operator password, guessed from many addresses', () => {
  const PASSWORD = 'correct horse battery staple';
  let api: TestApp;

  before(async () => {
    api = await startOAuthTestApp(API_KEY, {
      ENGRAM_TRUSTED_PROXIES: INGRESS,
      ENGRAM_OAUTH_OPEN_REGISTRATION: 'true',
      ENGRAM_OAUTH_PASSWORD: PASSWORD,
    });
  });
  after(() => api.close());

  const authorize = (address: string, credential: string) => registerAndConsent(api.url, credential, from(address));

  it('stops comparing the password after 100 wrong ones from all addresses in an hour; an admin key still signs in', async () => {
    assert.equal((await authorize('198.51.100.40', PASSWORD)).status, 303, 'the password signs in');
    assert.equal((await authorize('198.51.100.41', API_KEY)).status, 303, 'so does an admin key');
    // 25 addresses, 4 guesses each: every one stays within its own budget of 10 a minute.
    for (let i = 0; i < 100; i++) {
      const guess = await authorize(`203.0.113.${100 + (i % 25)}`, `guess number ${i}`);
      assert.equal(guess.status, 401, `guess ${i}`);
      assert.match(guess.html, /not right/);
      // The page names what signs in now: both, until this guess was the 100th.
      const signsIn = i < 99 ? 'Operator password or admin API key' : 'Admin API key';
      assert.match(guess.html, new RegExp(`<label>${signsIn}\\s*<input`), `guess ${i}`);
    }
    const paused = await authorize('198.51.100.42', PASSWORD);
    assert.equal(paused.status, 401, 'the right password is not compared now');
    assert.equal(paused.code, null);
    assert.match(paused.html, /from all addresses in the last hour/);
    assert.match(paused.html, /<label>Admin API key\s*<input/, 'the page asks for what signs in now');
    const key = await authorize('198.51.100.43', API_KEY);
    assert.equal(key.status, 303, 'the operator signs in with an admin key meanwhile');
    assert.ok(key.code);
  });
});

describe('sign-ins sent at once, counted in Redis (REDIS_URL)', () => {
  const PASSWORD = 'correct horse battery staple';
  let redis: TestRedis;
  let api: TestApp;

  before(async () => (redis = await startTestRedis()));
  after(() => redis.close());

  /** Each case has an api of its own (and so its own Redis prefix), with open registration and the operator password. */
  const startApi = async () =>
    (api = await startOAuthTestApp(API_KEY, {
      ENGRAM_TRUSTED_PROXIES: INGRESS,
      ENGRAM_OAUTH_OPEN_REGISTRATION: 'true',
      ENGRAM_OAUTH_PASSWORD: PASSWORD,
      REDIS_URL: redis.url,
    }));
  afterEach(() => api.close());

  /** `count` consent forms, the nth loaded from `addressOf(n)`; then all posted at once, each with its own wrong guess. */
  const guessAtOnce = async (count: number, addressOf: (n: number) => string) => {
    const { authorizationUrl } = await registerConnector(api.url, from(addressOf(0)));
    const forms = [];
    for (let n = 0; n < count; n++) forms.push(await loadConsentPage(authorizationUrl, from(addressOf(n))));
    return Promise.all(
      forms.map(async (consent, n) => {
        const answer = await postConsent(api.url, consent, { credential: `guess ${n}`, headers: from(addressOf(n)) });
        return { status: answer.status, html: await answer.text() };
      }),
    );
  };

  it("compares a burst of sign-ins from one address no more often than the address's budget", async () => {
    await startApi();
    const answers = await guessAtOnce(30, () => '203.0.113.31');
    const statuses = answers.map((answer) => answer.status);
    assert.equal(statuses.filter((status) => status === 401).length, 10, `10 compared, the rest refused: ${statuses}`);
    assert.equal(statuses.filter((status) => status === 429).length, 20);
  });

  it('compares a burst of wrong passwords from many addresses no more often than the budget of them all', async () => {
    await startApi();
    const answers = await guessAtOnce(110, (n) => `198.51.100.${n}`);
    const compared = answers.filter((answer) => /not right/.test(answer.html)).length;
    const paused = answers.filter((answer) => /from all addresses in the last hour/.test(answer.html)).length;
    assert.deepEqual({ compared, paused }, { compared: 100, paused: 10 });
  });
});
