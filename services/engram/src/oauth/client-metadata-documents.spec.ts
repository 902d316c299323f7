import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, Socket } from 'node:net';
import { describe, it } from 'node:test';
import { AddressPolicy } from './address-policy';
import { ClientMetadataDocuments } from './client-metadata-documents';
import { ClientMetadataRepository } from './client-metadata.repository';

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
      const same = [documents.resolve(url(0)), documents.resolve(url(0))];
      const distinct = Array.from({ length: 15 }, (_, n) => documents.resolve(url(n + 1)));
      await assert.rejects(documents.resolve(url(99)), /too many client metadata documents are being fetched/);
      const outcomes = await Promise.allSettled([...same, ...distinct]);
      assert.ok(outcomes.every((outcome) => outcome.status === 'rejected'));
      assert.match(String((outcomes[0] as PromiseRejectedResult).reason), /no complete answer within 0.5 s/);
      const fetched = connections;
      assert.equal(fetched, 16, 'one connection per distinct document');
      await assert.rejects(documents.resolve(url(0)), /no complete answer/);
      assert.equal(connections, fetched, 'the failure is answered from the cache');
    } finally {
      held.forEach((socket) => socket.destroy());
      server.close();
    }
  });
});
