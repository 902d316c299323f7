import { LoggerService } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig } from '../config/config.types';
import { storeLocation } from '../storage/store-location';

/** The Engram processes that serve HTTP, each on its own port (MCP_HTTP_PORT, WORKER_HTTP_PORT). */
export const SERVING_ROLES = ['api', 'worker'] as const;
export type ServingRole = (typeof SERVING_ROLES)[number];

/**
 * One api or worker as its record names it: its role and a digest of the store it serves and the port it
 * is configured to listen on (MCP_HTTP_PORT, WORKER_HTTP_PORT). So two apis of one user on one machine (two
 * stores, or one store on two ports) each keep a record of their own, and `engram health` given the
 * server's configuration finds that server's record.
 */
export interface ServingInstance {
  role: ServingRole;
  key: string;
}

export function servingInstance(role: ServingRole, config: AppConfig): ServingInstance {
  const port = role === 'api' ? config.http.port : config.worker.httpPort;
  // The location names no credentials (a PostgreSQL URL's password is left out).
  const key = createHash('sha256')
    .update(`${storeLocation(config.storage)}\n${port}`)
    .digest('hex')
    .slice(0, 16);
  return { role, key };
}

/** Where a running api or worker can be reached, as it recorded it once listening. */
export interface ServingRecord {
  role: ServingRole;
  pid: number;
  /** Base URL a local client reaches it at (a wildcard listen address becomes loopback). */
  url: string;
}

/**
 * A small file per serving api or worker (`<role>-<key>.json`, see ServingInstance) in the process's own
 * temporary directory, written once the server listens and removed when it stops: `engram health` reads
 * it to probe the port the process really serves. A container has its own /tmp, so the record also tells
 * the health check which role runs there.
 */
export class ServingRecordRepository {
  constructor(private readonly dir = join(tmpdir(), `engram-${process.getuid?.() ?? 'user'}`)) {}

  /**
   * Records `role` as served at `address` by this process; written to a temporary name, then renamed.
   * Not fsynced: every start writes it anew, and after a power cut no process serves what it said.
   */
  record(instance: ServingInstance, address: AddressInfo): ServingRecord {
    const url = `http://${loopbackFor(address)}:${address.port}`;
    const record: ServingRecord = { role: instance.role, pid: process.pid, url };
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const path = this.pathOf(instance);
    writeFileSync(`${path}.tmp`, `${JSON.stringify(record)}\n`, { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
    return record;
  }

  /** Removes the record of `instance` if this process wrote it (a newer process may have replaced it). */
  remove(instance: ServingInstance): void {
    if (this.read(instance)?.pid === process.pid) rmSync(this.pathOf(instance), { force: true });
  }

  read(instance: ServingInstance): ServingRecord | undefined {
    try {
      const record = JSON.parse(readFileSync(this.pathOf(instance), 'utf8')) as ServingRecord;
      return record.role === instance.role && typeof record.url === 'string' ? record : undefined;
    } catch {
      return undefined;
    }
  }

  private pathOf({ role, key }: ServingInstance): string {
    return join(this.dir, `${role}-${key}.json`);
  }
}

/** The address a client on this machine connects to: loopback for a wildcard listen address. */
function loopbackFor({ address, family }: AddressInfo): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return family === 'IPv6' ? `[${address}]` : address;
}

/**
 * Records that this process serves `role` with `config` on `server`'s address, for `engram health`;
 * returns what removes the record at shutdown. A record that cannot be written (no writable temporary
 * directory) is logged, not fatal: only the container health check depends on it.
 */
export function recordServing(role: ServingRole, config: AppConfig, server: Server, logger: LoggerService): () => void {
  const records = new ServingRecordRepository();
  const instance = servingInstance(role, config);
  try {
    records.record(instance, server.address() as AddressInfo);
  } catch (error) {
    logger.warn(`engram health cannot find this ${role}: ${(error as Error).message}`, 'Startup');
  }
  return () => records.remove(instance);
}
