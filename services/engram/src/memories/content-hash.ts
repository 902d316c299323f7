import { createHash } from 'node:crypto';

/**
 * The public id of a memory: SHA-256 hex of the trimmed, lower-cased content, as MCP Memory Service
 * computes it, so ids survive a migration and "Note" and "note " are one memory.
 */
export function contentHash(content: string): string {
  return createHash('sha256').update(content.trim().toLowerCase(), 'utf8').digest('hex');
}
