/**
 * A child process holding N SSE subscribers (bench/sse-fanout.mjs). Each records, per memory, the
 * monotonic time its first frame arrived; process.hrtime is CLOCK_MONOTONIC, shared with the writer.
 * Messages: → {ready}; ← {lastHash} → {receipts: [[hash, [ms, …]], …], frames, streamsEnded} once all have it.
 */
import { request } from 'node:http';

const [url, countText] = process.argv.slice(2);
const count = Number(countText);
const receipts = new Map();
let frames = 0;
let streamsEnded = 0;

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function subscribe() {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/events/stream`, { headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
      res.setEncoding('utf8');
      const seen = new Set();
      let buffer = '';
      let opened = false;
      res.on('data', (chunk) => {
        const at = nowMs();
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!opened) {
            opened = true;
            resolve();
          }
          const hash = /"content_hash":"([0-9a-f]{64})"/.exec(frame)?.[1];
          if (!hash) continue;
          frames++;
          if (seen.has(hash)) continue; // the same event as a plain and as a named frame
          seen.add(hash);
          if (!receipts.has(hash)) receipts.set(hash, []);
          receipts.get(hash).push(at);
        }
      });
      res.on('close', () => streamsEnded++);
    });
    req.on('error', reject);
    req.end();
  });
}

await Promise.all(Array.from({ length: count }, subscribe));
process.send({ ready: true });
process.on('message', async ({ lastHash }) => {
  // Delivery is in order: once every stream has the last write, it has all of them (or never will).
  const deadline = Date.now() + 30_000;
  while ((receipts.get(lastHash)?.length ?? 0) < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  process.send({ receipts: [...receipts], frames, streamsEnded }, () => process.exit(0));
});
