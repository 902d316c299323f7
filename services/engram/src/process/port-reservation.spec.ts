import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { describe, it } from 'node:test';
import { freePort } from '../testing/redis-server';
import { reservePort } from './port-reservation';

describe('port reservation while the api starts', () => {
  it('frees the port even while a client that connected in the meantime waits for an answer', async () => {
    const port = await freePort();
    const reservation = await reservePort('127.0.0.1', port);
    const client = connect({ host: '127.0.0.1', port });
    client.on('error', () => undefined);
    await once(client, 'connect');
    const released = reservation.release().then(() => 'released');
    const stuck = new Promise((resolve) => setTimeout(() => resolve('still held after 2 s'), 2_000).unref());
    assert.equal(await Promise.race([released, stuck]), 'released');
    const app = createServer();
    await new Promise<void>((resolve, reject) => {
      app.once('error', reject);
      app.listen({ host: '127.0.0.1', port }, resolve);
    });
    await new Promise((resolve) => app.close(resolve));
    client.destroy();
  });

  it('refuses a port another server holds, with its listen error', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const { port } = holder.address() as { port: number };
    await assert.rejects(reservePort('127.0.0.1', port), { code: 'EADDRINUSE' });
    await new Promise((resolve) => holder.close(resolve));
  });
});
