import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';

interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  /** The principal that opened it: a session id seen by someone else is useless to them. */
  owner: string;
  lastSeenMs: number;
}

export interface SessionLimits {
  maxSessions: number;
  idleMs: number;
}

/**
 * Open Streamable HTTP sessions by Mcp-Session-Id, bounded in number and idle time so clients that
 * vanish without DELETE cannot grow memory: the least recently used session makes room for a new one,
 * and a sweep closes those idle too long.
 */
export class McpSessions {
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly limits: SessionLimits,
    private readonly onCountChange: (open: number) => void,
  ) {
    this.sweeper = setInterval(() => this.closeIdle(Date.now()), Math.min(60_000, limits.idleMs / 2));
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** The session, marked as just used; undefined when unknown, closed, or opened by another owner. */
  touch(id: string, owner: string): Session | undefined {
    const session = this.sessions.get(id);
    if (!session || session.owner !== owner) return undefined;
    session.lastSeenMs = Date.now();
    // Re-inserting keeps the map in least-recently-used order for eviction.
    this.sessions.delete(id);
    this.sessions.set(id, session);
    return session;
  }

  add(id: string, owner: string, transport: StreamableHTTPServerTransport, server: McpServer): void {
    while (this.sessions.size >= this.limits.maxSessions) {
      const [oldest] = this.sessions.keys();
      void this.close(oldest);
    }
    this.sessions.set(id, { transport, server, owner, lastSeenMs: Date.now() });
    this.onCountChange(this.sessions.size);
  }

  /** Forgets a session its transport closed (DELETE, or the close below). */
  remove(id: string): void {
    if (this.sessions.delete(id)) this.onCountChange(this.sessions.size);
  }

  async close(id: string): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return;
    this.remove(id);
    await session.server.close().catch(() => undefined);
  }

  closeIdle(nowMs: number): void {
    for (const [id, session] of this.sessions) {
      if (nowMs - session.lastSeenMs >= this.limits.idleMs) void this.close(id);
    }
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id)));
  }
}
