import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, Server, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AddressPolicy } from './address-policy';
import { ClientMetadataRepository, HostResolver } from './client-metadata.repository';

/** A TCP listener on loopback that counts connections and either drops them or holds them open. */
async function tcpListener(
  behaviour: 'drop' | 'hold',
): Promise<{ server: Server; port: number; connections: () => number }> {
  let count = 0;
  const held: Socket[] = [];
  const server = createServer((socket) => {
    count++;
    if (behaviour === 'drop') socket.destroy();
    else held.push(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  server.on('close', () => held.forEach((socket) => socket.destroy()));
  return { server, port: (server.address() as { port: number }).port, connections: () => count };
}

describe('client metadata document fetches', () => {
  let drop: Awaited<ReturnType<typeof tcpListener>>;
  let hold: Awaited<ReturnType<typeof tcpListener>>;

  before(async () => {
    drop = await tcpListener('drop');
    hold = await tcpListener('hold');
  });
  after(() => {
    drop.server.close();
    hold.server.close();
  });

  it('resolves the host once and connects to the checked address, so a rebinding answer is never used', async () => {
    let lookups = 0;
    // The first answer passes the policy; a rebinding name server would answer differently next time.
    const rebinding: HostResolver = async () => [{ address: lookups++ === 0 ? '127.0.0.1' : '10.0.0.1', family: 4 }];
    const repository = new ClientMetadataRepository(new AddressPolicy(['127.0.0.1']), undefined, rebinding);
    await assert.rejects(repository.fetchDocument(new URL(`https://client.test:${drop.port}/client.json`)));
    assert.equal(lookups, 1, 'the name was resolved once');
    assert.equal(drop.connections(), 1, 'the connection went to the checked loopback address');
  });

  it('refuses a host resolving to any private address without connecting', async () => {
    const before = drop.connections();
    const mixed: HostResolver = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ];
    const repository = new ClientMetadataRepository(new AddressPolicy([]), undefined, mixed);
    await assert.rejects(
      repository.fetchDocument(new URL(`https://client.test:${drop.port}/client.json`)),
      /client.test resolves to 127.0.0.1, a private, loopback or otherwise non-public address/,
    );
    await assert.rejects(
      new ClientMetadataRepository(new AddressPolicy([])).fetchDocument(
        new URL('https://169.254.169.254/latest/meta-data'),
      ),
      /169.254.169.254 resolves to 169.254.169.254/,
    );
    assert.equal(drop.connections(), before);
  });

  it('gives up on a server that accepts the connection and never answers', async () => {
    const repository = new ClientMetadataRepository(new AddressPolicy(['127.0.0.1']), {
      timeoutMs: 300,
      maxBytes: 1024,
    });
    await assert.rejects(
      repository.fetchDocument(new URL(`https://127.0.0.1:${hold.port}/client.json`)),
      /no complete answer within 0.3 s/,
    );
    assert.equal(hold.connections(), 1);
  });
});
