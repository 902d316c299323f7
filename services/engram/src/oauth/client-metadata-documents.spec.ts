import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer, ServerResponse } from 'node:http';
import { createServer, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { emptyReservation, FailureLimiter, InMemoryFailureLimiter } from '../auth/failure-limiter';
import { RedisFailureLimiter } from '../auth/redis-failure-limiter';
import { RedisKeys } from '../config/redis-keys';
import { startTestRedis, TestRedis } from '../testing/redis-server';
import { AddressPolicy } from './address-policy';
import { ClientMetadataDocuments, DocumentSource, NEW_DOCUMENT_BUDGETS } from './client-metadata-documents';
import { ClientMetadataRepository } from './client-metadata.repository';

const BUSY = 'too many client metadata documents are being fetched; retry in a moment';

/** An authorization request from `requester` for a client the operator never approved. */
const from = (requester: string) => ({ requester, approved: false });
/** One for a client the operator approved once. */
const approvedFrom = (requester: string) => ({ requester, approved: true });
/** For the cache's own specs: no rate refuses a fetch, so a flood really reaches the cache. */
const ADMIT_ALL: FailureLimiter = {
  retryAfterSeconds: async () => 0,
  recordFailure: async () => {},
  reserve: async () => emptyReservation(0),
};

/**
 * A local HTTP server standing in for connectors' hosts, and a source reading `https://connector.test/…`
 * from it (the repository's TLS and address checks have their own spec): a path under /slow/ is answered
 * only once released (those asked for before then, and any after), any other at once, each with a valid
 * document for its URL. Counts requests by path.
 */
async function documentHost() {
  const requests = new Map<string, number>();
  const held: { path: string; response: ServerResponse }[] = [];
  let released = false;
  const answer = (path: string, response: ServerResponse) =>
    response.setHeader('content-type', 'application/json').end(
      JSON.stringify({
        client_id: `https://connector.test${path}`,
        client_name: `Connector ${path}`,
        redirect_uris: ['https://connector.test/callback'],
      }),
    );
  const server = createHttpServer((request, response) => {
    const path = request.url ?? '/';
    requests.set(path, (requests.get(path) ?? 0) + 1);
    if (path.startsWith('/slow/') && !released) held.push({ path, response });
    else answer(path, response);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const source: DocumentSource = {
    async fetchDocument(url) {
      const response = await fetch(`http://127.0.0.1:${port}${url.pathname}`);
      return { body: await response.json(), cacheControl: response.headers.get('cache-control') ?? undefined };
    },
  };
  return {
    source,
    url: (path: string) => `https://connector.test${path}`,
    requests: (path: string) => requests.get(path) ?? 0,
    fetched: () => [...requests.values()].reduce((sum, count) => sum + count, 0),
    release: () => {
      released = true;
      held.splice(0).forEach(({ path, response }) => answer(path, response));
    },
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

describe('client metadata documents (cache and fetch bounds)', () => {
  it('shares one fetch among concurrent requests for a document, keeps the failure, and bounds distinct fetches', async () => {
    let connections = 0;
    const held: Socket[] = [];
    const server = createServer((socket) => {
      connections++;
      held.push(socket);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const repository = new ClientMetadataRepository(new AddressPolicy(['127.0.0.1']), {
      timeoutMs: 500,
      maxBytes: 1024,
    });
    const documents = new ClientMetadataDocuments(repository, new InMemoryFailureLimiter());
    try {
      const url = (n: number) => `https://127.0.0.1:${port}/client-${n}.json`;
      const requester = (n: number) => ['a', 'b', 'c', 'd'][n % 4];
      const same = [documents.resolve(url(0), from('a')), documents.resolve(url(0), from('b'))];
      const distinct = Array.from({ length: 15 }, (_, n) => documents.resolve(url(n + 1), from(requester(n + 1))));
      await assert.rejects(documents.resolve(url(99), from('e')), { message: BUSY });
      const outcomes = await Promise.allSettled([...same, ...distinct]);
      assert.ok(outcomes.every((outcome) => outcome.status === 'rejected'));
      assert.match(String((outcomes[0] as PromiseRejectedResult).reason), /no complete answer within 0.5 s/);
      const fetched = connections;
      assert.equal(fetched, 16, 'one connection per distinct document');
      await assert.rejects(documents.resolve(url(0), from('e')), /no complete answer/);
      assert.equal(connections, fetched, 'the failure is answered from the cache');
    } finally {
      held.forEach((socket) => socket.destroy());
      server.close();
    }
  });

  it("one requester holding its share of the fetches with slow documents cannot stop another's connector from being fetched", async () => {
    const host = await documentHost();
    const documents = new ClientMetadataDocuments(host.source, new InMemoryFailureLimiter());
    try {
      const flood = Array.from({ length: 16 }, (_, n) =>
        documents.resolve(host.url(`/slow/${n}`), from('flooder')).then(
          () => 'fetched',
          (error: Error) => error.message,
        ),
      );
      const connector = await documents.resolve(host.url('/claude.json'), from('user'));
      assert.equal(connector.client_name, 'Connector /claude.json');
      host.release();
      const outcomes = await Promise.all(flood);
      const refused = outcomes.filter((outcome) => outcome !== 'fetched');
      assert.ok(refused.length > 0 && refused.length < 16, 'the flooder had a share of the fetches, not all');
      assert.ok(
        refused.every((message) => message === BUSY),
        'told what anyone is told when every slot is busy',
      );
    } finally {
      host.close();
    }
  });

  it('a flood of distinct documents, even each named twice, pushes out only the flooder’s own entries', async () => {
    const host = await documentHost();
    const documents = new ClientMetadataDocuments(host.source, ADMIT_ALL);
    try {
      await documents.resolve(host.url('/claude.json'), from('user'));
      await documents.resolve(host.url('/claude.json'), from('user'));
      await documents.resolve(host.url('/once.json'), from('someone'));
      for (let n = 0; n < 600; n++) {
        await documents.resolve(host.url(`/flood/${n}`), from('flooder'));
        await documents.resolve(host.url(`/flood/${n}`), from('flooder'));
      }
      await documents.resolve(host.url('/claude.json'), from('user'));
      await documents.resolve(host.url('/once.json'), from('someone'));
      assert.equal(host.requests('/claude.json'), 1, 'the connector in use is still cached');
      assert.equal(host.requests('/once.json'), 1, "another requester's one-off document is still cached");
      assert.equal(host.requests('/flood/0'), 1, 'the flood was cached while room lasted');
      await documents.resolve(host.url('/flood/0'), from('flooder'));
      assert.equal(host.requests('/flood/0'), 2, "the flooder's oldest entry made room");
    } finally {
      host.close();
    }
  });

  it('a flood of one-off documents does not evict a document that was used twice, whoever floods', async () => {
    const host = await documentHost();
    const documents = new ClientMetadataDocuments(host.source, ADMIT_ALL);
    try {
      await documents.resolve(host.url('/claude.json'), from('user'));
      await documents.resolve(host.url('/claude.json'), from('user'));
      for (let n = 0; n < 600; n++) await documents.resolve(host.url(`/flood/${n}`), from('user'));
      await documents.resolve(host.url('/claude.json'), from('user'));
      assert.equal(host.requests('/claude.json'), 1, 'the document used twice is still cached');
    } finally {
      host.close();
    }
  });
});

describe('client metadata documents under a flood from many addresses', () => {
  const addresses = (count: number) => Array.from({ length: count }, (_, n) => `198.18.${n >> 8}.${n & 255}`);

  it('a document of a client the operator approved stays cached while 600 addresses each name a fresh document', async () => {
    const host = await documentHost();
    const documents = new ClientMetadataDocuments(host.source, ADMIT_ALL);
    try {
      await documents.resolve(host.url('/claude.json'), approvedFrom('operator'));
      for (const [n, address] of addresses(600).entries()) {
        await documents.resolve(host.url(`/flood/${n}`), from(address));
      }
      await documents.resolve(host.url('/claude.json'), approvedFrom('someone else'));
      assert.equal(host.requests('/claude.json'), 1, 'the approved connector was not pushed out');
      await documents.resolve(host.url('/flood/0'), from(addresses(1)[0]));
      assert.equal(host.requests('/flood/0'), 2, 'the flood pushed out its own');
    } finally {
      host.close();
    }
  });

  it('a client the operator approved is fetched while 250 addresses hold every fetch slot with slow documents', async () => {
    const host = await documentHost();
    const documents = new ClientMetadataDocuments(host.source, new InMemoryFailureLimiter());
    try {
      const flood = addresses(250).map((address, n) =>
        documents.resolve(host.url(`/slow/${n}`), from(address)).then(
          () => 'fetched',
          (error: Error) => error.message,
        ),
      );
      await assert.rejects(documents.resolve(host.url('/new.json'), from('operator')), { message: BUSY });
      const connector = await documents.resolve(host.url('/claude.json'), approvedFrom('operator'));
      assert.equal(connector.client_name, 'Connector /claude.json');
      host.release();
      const outcomes = await Promise.all(flood);
      assert.equal(outcomes.filter((outcome) => outcome === 'fetched').length, 16, "the flood's slots");
    } finally {
      host.close();
    }
  });

  describe('new documents fetched a minute, over every replica (a real redis-server)', () => {
    let redis: TestRedis;
    let limiters: RedisFailureLimiter[];

    before(async () => {
      redis = await startTestRedis();
      const keys = new RedisKeys('engram:metadata-fetch-test');
      limiters = [new RedisFailureLimiter(redis.url, keys), new RedisFailureLimiter(redis.url, keys)];
    });
    after(async () => {
      await Promise.all(limiters.map((limiter) => limiter.onModuleDestroy()));
      await redis.close();
    });

    it('one address gets its share, 250 addresses on two replicas get the rest of the budget, and approved clients none of it', async () => {
      const host = await documentHost();
      const replicas = limiters.map((limiter) => new ClientMetadataDocuments(host.source, limiter));
      const attempt = (replica: number, path: string, requester: string) =>
        replicas[replica].resolve(host.url(path), from(requester)).then(
          () => true,
          (error: Error) => {
            assert.equal(error.message, BUSY);
            return false;
          },
        );
      try {
        const { everyone, requester } = NEW_DOCUMENT_BUDGETS;
        const alone: boolean[] = [];
        for (let n = 0; n < requester.limit + 5; n++) alone.push(await attempt(n % 2, `/alone/${n}`, 'one address'));
        assert.equal(alone.filter(Boolean).length, requester.limit, "one address's share, over both replicas");

        const flood: boolean[] = [];
        for (const [n, address] of addresses(250).entries()) {
          flood.push(await attempt(n % 2, `/flood/${n}/a`, address), await attempt(n % 2, `/flood/${n}/b`, address));
        }
        assert.equal(flood.filter(Boolean).length, everyone.limit - requester.limit, 'the rest of the budget');
        assert.equal(host.fetched(), everyone.limit, 'documents fetched by both replicas together');

        const connector = await replicas[1].resolve(host.url('/claude.json'), approvedFrom('someone'));
        assert.equal(connector.client_name, 'Connector /claude.json', 'an approved client is still fetched');
        assert.equal(await attempt(0, '/new.json', 'a new address'), false, 'a new client waits for the minute');
      } finally {
        host.close();
      }
    });

    it('fetches documents asked for at once on two replicas no more often than the minute allows', async () => {
      const host = await documentHost();
      const own = [0, 1].map(() => new RedisFailureLimiter(redis.url, new RedisKeys('engram:metadata-burst-test')));
      const replicas = own.map((limiter) => new ClientMetadataDocuments(host.source, limiter));
      try {
        // Waves of 16 at once on each replica (all its fetch slots), from 32 addresses, past the minute's 60.
        for (let wave = 0; wave < 3; wave++) {
          await Promise.all(
            addresses(32).map((address, n) =>
              replicas[n % 2].resolve(host.url(`/burst/${wave}/${n}`), from(address)).catch((error: Error) => {
                assert.equal(error.message, BUSY);
              }),
            ),
          );
        }
        assert.equal(host.fetched(), NEW_DOCUMENT_BUDGETS.everyone.limit, 'documents fetched by both replicas');
      } finally {
        host.close();
        await Promise.all(own.map((limiter) => limiter.onModuleDestroy()));
      }
    });
  });
});
