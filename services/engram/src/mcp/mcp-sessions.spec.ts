import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { McpSessions } from './mcp-sessions';

function fakeSession() {
  const server = new McpServer({ name: 'test', version: '0' });
  let closed = false;
  server.close = async () => {
    closed = true;
  };
  return { server, transport: {} as StreamableHTTPServerTransport, isClosed: () => closed };
}

describe('McpSessions', () => {
  it('closes sessions idle for the configured time and keeps recently used ones', async () => {
    const counts: number[] = [];
    const sessions = new McpSessions({ maxSessions: 10, idleMs: 60_000 }, (open) => counts.push(open));
    const idle = fakeSession();
    const busy = fakeSession();
    sessions.add('idle', 'me', idle.transport, idle.server);
    sessions.add('busy', 'me', busy.transport, busy.server);
    sessions.closeIdle(Date.now() + 30_000);
    assert.equal(sessions.size, 2);
    sessions.closeIdle(Date.now() + 61_000);
    assert.equal(sessions.size, 0);
    assert.ok(idle.isClosed() && busy.isClosed());
    assert.deepEqual(counts, [1, 2, 1, 0]);
    await sessions.closeAll();
  });

  it('makes room by closing the least recently used session', async () => {
    const sessions = new McpSessions({ maxSessions: 2, idleMs: 60_000 }, () => undefined);
    const [a, b, c] = [fakeSession(), fakeSession(), fakeSession()];
    sessions.add('a', 'me', a.transport, a.server);
    sessions.add('b', 'me', b.transport, b.server);
    assert.ok(sessions.touch('a', 'me'));
    sessions.add('c', 'me', c.transport, c.server);
    assert.equal(sessions.touch('b', 'me'), undefined);
    assert.ok(b.isClosed());
    assert.ok(sessions.touch('a', 'me') && sessions.touch('c', 'me'));
    assert.equal(sessions.touch('a', 'someone else'), undefined);
    await sessions.closeAll();
    assert.ok(a.isClosed() && c.isClosed());
  });
});
