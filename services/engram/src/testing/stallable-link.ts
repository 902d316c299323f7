import { once } from 'node:events';
import { AddressInfo, connect, createServer, Socket } from 'node:net';

/**
 * A TCP link on loopback to the server of `url` (postgres://…@host:port/…), whose requests can be stalled:
 * what a client sends then waits in the link, as on a link that stopped carrying it, while what the server
 * sends still arrives. `url` is the same address through the link.
 */
export interface StallableLink {
  url: string;
  /** Holds back every request from now on, on every connection through the link. */
  stall(): void;
  /** Sends what was held back, and every request after it. */
  resume(): void;
  close(): Promise<void>;
}

export async function startStallableLink(url: string): Promise<StallableLink> {
  const target = new URL(url);
  const connections = new Set<{ client: Socket; server: Socket; heldBack: Buffer[] }>();
  let stalled = false;
  const link = createServer((client) => {
    const server = connect(Number(target.port), target.hostname);
    const connection = { client, server, heldBack: [] as Buffer[] };
    connections.add(connection);
    client.on('data', (chunk: Buffer) => (stalled ? connection.heldBack.push(chunk) : server.write(chunk)));
    server.pipe(client);
    const end = () => {
      connections.delete(connection);
      client.destroy();
      server.destroy();
    };
    for (const socket of [client, server]) socket.on('error', end).on('close', end);
  });
  link.listen(0, '127.0.0.1');
  await once(link, 'listening');
  const through = new URL(url);
  through.hostname = '127.0.0.1';
  through.port = String((link.address() as AddressInfo).port);
  return {
    url: through.toString(),
    stall: () => (stalled = true),
    resume() {
      stalled = false;
      for (const connection of connections)
        for (const chunk of connection.heldBack.splice(0)) connection.server.write(chunk);
    },
    async close() {
      for (const { client, server } of connections) {
        client.destroy();
        server.destroy();
      }
      link.close();
      await once(link, 'close');
    },
  };
}
