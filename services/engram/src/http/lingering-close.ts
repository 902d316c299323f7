import type { IncomingMessage } from 'node:http';

/** How long a refused upload's connection stays open after its answer, reading and dropping what arrives. */
export const LINGER_MS = 2_000;
/** The most of a refused upload read and dropped after the refusal: what a client has in flight, no more. */
export const LINGER_BYTES = 8 * 1024 * 1024;

/**
 * Closes the connection of a request whose body was refused before it was read, once the answer is sent,
 * as RFC 9112 §9.6 asks: the write side first, then what the client still sends is read and dropped until
 * it closes its side, for at most LINGER_MS and LINGER_BYTES. Node closes an answered `Connection: close`
 * at once (socket.destroySoon), and the client, still uploading, gets a reset that can wipe out the 413
 * before it reads it.
 */
export function closeAfterAnswer(request: IncomingMessage): void {
  const { socket } = request;
  let dropped = 0;
  // Read here, Node does not dump the rest unseen after the answer: every byte dropped is counted.
  request.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > LINGER_BYTES) socket.destroy();
  });
  // A body a parser stopped reading part way (an upload over its limit) was paused when it was unpiped.
  request.resume();
  socket.destroySoon = () => {
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    socket.once('close', () => clearTimeout(timer));
  };
}
