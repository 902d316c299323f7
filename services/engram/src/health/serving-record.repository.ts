import { LoggerService } from '@nestjs/common';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The Engram processes that serve HTTP, each on its own port (MCP_HTTP_PORT, WORKER_HTTP_PORT). */
export const SERVING_ROLES = ['api', 'worker'] as const;
export type ServingRole = (typeof SERVING_ROLES)[number];

/** Where a running api or worker can be reached, as it recorded it once listening. */
export interface ServingRecord {
  role: ServingRole;
  pid: number;
  /** Base URL a local client reaches it at (a wildcard listen address becomes loopback). */
  url: string;
}

/**
 * A small file per serving role in the process's own temporary directory, written once the server
 * listens and removed when it stops: `engram health` reads it to probe the port the process really
 * serves. A container has its own /tmp, so the record also tells the health check which role runs there.
 */
export class ServingRecordRepository {
  constructor(private readonly dir = join(tmpdir(), `engram-${process.getuid?.() ?? 'user'}`)) {}

  /**
   * Records `role` as served at `address` by this process; written to a temporary name, then renamed.
   * Not fsynced: every start writes it anew, and after a power cut no process serves what it said.
   */
  record(role: ServingRole, address: AddressInfo): ServingRecord {
    const record: ServingRecord = { role, pid: process.pid, url: `http://${loopbackFor(address)}:${address.port}` };
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const path = this.pathOf(role);
    writeFileSync(`${path}.tmp`, `${JSON.stringify(record)}\n`, { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
    return record;
  }

  /** Removes the record of `role` if this process wrote it (a newer process may have replaced it). */
  remove(role: ServingRole): void {
    if (this.read(role)?.pid === process.pid) rmSync(this.pathOf(role), { force: true });
  }

  read(role: ServingRole): ServingRecord | undefined {
    try {
      const record = JSON.parse(readFileSync(this.pathOf(role), 'utf8')) as ServingRecord;
      return record.role === role && typeof record.url === 'string' ? record : undefined;
    } catch {
      return undefined;
    }
  }

  private pathOf(role: ServingRole): string {
    return join(this.dir, `${role}.json`);
  }
}

/** The address a client on this machine connects to: loopback for a wildcard listen address. */
function loopbackFor({ address, family }: AddressInfo): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return family === 'IPv6' ? `[${address}]` : address;
}

/**
 * Records that this process serves `role` on `server`'s address, for `engram health`; returns what
 * removes the record at shutdown. A record that cannot be written (no writable temporary directory) is
 * logged, not fatal: only the container health check depends on it.
 */
export function recordServing(role: ServingRole, server: Server, logger: LoggerService): () => void {
  const records = new ServingRecordRepository();
  try {
    records.record(role, server.address() as AddressInfo);
  } catch (error) {
    logger.warn(`engram health cannot find this ${role}: ${(error as Error).message}`, 'Startup');
  }
  return () => records.remove(role);
}
