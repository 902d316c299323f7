import { createServer } from 'node:net';

export interface PortReservation {
  /** Frees the port, just before the app binds it. */
  release(): Promise<void>;
}

/**
 * Listens on the api's address until the app listens there itself, so a port in use (EADDRINUSE) or
 * not allowed (EACCES) stops start-up before the store is opened: a second `engram serve` on a busy
 * port creates no database. Rejects with the listen error.
 */
export async function reservePort(host: string, port: number): Promise<PortReservation> {
  if (port === 0) return { release: async () => undefined }; // any free port: nothing to hold
  // Nothing is served yet: a client that connects now (a browser's stream reconnecting, a health probe) is
  // dropped at once and retries, as if refused. Left open, it would keep close() from ever finishing.
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, resolve);
  });
  return { release: () => new Promise((resolve) => server.close(() => resolve())) };
}
