import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer, ServerResponse } from 'node:http';
import { createServer, Socket } from 'node:net';
import { describe, it } from 'node:test';
import { AddressPolicy } from './address-policy';
import { ClientMetadataDocuments, DocumentSource } from './client-metadata-documents';
import { ClientMetadataRepository } from './client-metadata.repository';

const BUSY = 'too many client metadata documents are being fetched; retry in a moment';

/**
 * A local HTTP server standing in for connectors' hosts, and a source reading `https://connector.test/…`
 * from it (the repository's TLS and address checks have their own spec): a path under /slow/ is answered
 * only when released, any other at once, each with a valid document for its URL. Counts requests by path.
 */
async function documentHost() {
  const requests = new Map<string, number>();
  const held: { path: string; response: ServerResponse }[] = [];
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
    if (path.startsWith('/slow/')) held.push({ path, response });
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
    release: () => held.splice(0).forEach(({ path, response }) => answer(path, response)),
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
    const documents = new ClientMetadataDocuments(repository);
    try {
      const url = (n: number) => `https://127.0.0.1:${port}/client-${n}.json`;
      const requester = (n: number) => ['a', 'b', 'c', 'd'][n % 4];
      const same = [documents.resolve(url(0), 'a'), documents.resolve(url(0), 'b')];
      const distinct = Array.from({ length: 15 }, (_, n) => documents.resolve(url(n + 1), requester(n + 1)));
      await assert.rejects(documents.resolve(url(99), 'e'), { message: BUSY });
      const outcomes = await Promise.allSettled([...same, ...distinct]);
      assert.ok(outcomes.every((outcome) => outcome.status === 'rejected'));
      assert.match(String((outcomes[0] as PromiseRejectedResult).reason), /no complete answer within 0.5 s/);
      const fetched = connections;
      assert.equal(fetched, 16, 'one connection per distinct document');
      await assert.rejects(documents.resolve(url(0), 'e'), /no complete answer/);
      assert.equal(connections, fetched, 'the failure is answered from the cache');
    } finally {
      held.forEach((socket) => socket.destroy());
      server.close();
    }
  });

  it("one requester holding its share of the fetches with slow documents cannot stop another's connector from being fetched", async () => {
    const host = await documentHost();
    const documents = new ClientMetadataDocuments(host.source);
    try {
      const flood = Array.from({ length: 16 }, (_, n) =>
        documents.resolve(host.url(`/slow/${n}`), 'flooder').then(
          () => 'fetched',
          (error: Error) => error.message,
        ),
      );
      const connector = await documents.resolve(host.url('/claude.json'), 'user');
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
    const documents = new ClientMetadataDocuments(host.source);
    try {
      await documents.resolve(host.url('/claude.json'), 'user');
      await documents.resolve(host.url('/claude.json'), 'user');
      await documents.resolve(host.url('/once.json'), 'someone');
      for (let n = 0; n < 600; n++) {
        await documents.resolve(host.url(`/flood/${n}`), 'flooder');
        await documents.resolve(host.url(`/flood/${n}`), 'flooder');
      }
      await documents.resolve(host.url('/claude.json'), 'user');
      await documents.resolve(host.url('/once.json'), 'someone');
      assert.equal(host.requests('/claude.json'), 1, 'the connector in use is still cached');
      assert.equal(host.requests('/once.json'), 1, "another requester's one-off document is still cached");
      assert.equal(host.requests('/flood/0'), 1, 'the flood was cached while room lasted');
      await documents.resolve(host.url('/flood/0'), 'flooder');
      assert.equal(host.requests('/flood/0'), 2, "the flooder's oldest entry made room");
    } finally {
      host.close();
    }
  });

  it('a flood of one-off documents does not evict a document that was used twice, whoever floods', async () => {
    const host = await documentHost();
    const documents = new ClientMetadataDocuments(host.source);
    try {
      await documents.resolve(host.url('/claude.json'), 'user');
      await documents.resolve(host.url('/claude.json'), 'user');
      for (let n = 0; n < 600; n++) await documents.resolve(host.url(`/flood/${n}`), 'user');
      await documents.resolve(host.url('/claude.json'), 'user');
      assert.equal(host.requests('/claude.json'), 1, 'the document used twice is still cached');
    } finally {
      host.close();
    }
  });
});
