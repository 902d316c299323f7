import { Migration } from './migration';

/**
 * Cancellations of MCP tool calls addressed to another process: a 2025-era client cancels with a separate
 * `notifications/cancelled` POST, which a load balancer may send to any api process, while the call runs
 * in the one that received it. That process reads these rows while it has calls running.
 */
export const mcpCancellationsMigration: Migration = {
  version: 18,
  name: 'mcp-cancellations',
  sql: `
    CREATE TABLE mcp_cancellations (
      seq          INTEGER PRIMARY KEY AUTOINCREMENT,
      credential   TEXT NOT NULL,
      caller       TEXT NOT NULL,
      request_id   TEXT NOT NULL,
      requested_at INTEGER NOT NULL
    );
    CREATE INDEX mcp_cancellations_credential ON mcp_cancellations (credential, seq);
  `,
};
