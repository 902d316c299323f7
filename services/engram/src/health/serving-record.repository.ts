import { LoggerService } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
 * One api or worker as its configuration names it: its role, a digest of the store it serves, and the port
 * it is configured to listen on (MCP_HTTP_PORT, WORKER_HTTP_PORT; 0 lets the system pick one). So two apis
 * of one user on one machine (two stores, or one store on two ports) each keep a record of their own, and
 * `engram health` given the server's configuration finds that server's record.
 */
export interface ServingInstance {
  role: ServingRole;
  store: string;
  port: number;
}

export function servingInstance(role: ServingRole, config: AppConfig): ServingInstance {
  // The location names no credentials (a PostgreSQL URL's password is left out).
  const store = createHash('sha256').update(storeLocation(config.storage)).digest('hex').slice(0, 16);
  return { role, store, port: role === 'api' ? config.http.port : config.worker.httpPort };
}

/** Where a running api or worker can be reached, as it recorded it once listening. */
export interface ServingRecord {
  role: ServingRole;
  pid: number;
  /** Base URL a local client reaches it at (a wildcard listen address becomes loopback). */
  url: string;
  /** The port it was configured with: 0 for one the system picked, which `url` names. */
  configuredPort: number;
}

/**
 * A small file per serving api or worker (`<role>-<store>-<port>.json`, the port it bound, see
 * ServingInstance) in the process's own temporary directory, written once the server listens and removed
 * when it stops: `engram health` reads it to probe the port the process really serves. Keyed by the bound
 * port, so two servers of one store configured with port 0 each keep their own. A container has its own
 * /tmp, so the record also tells the health check which role runs there.
 */
export class ServingRecordRepository {
  constructor(private readonly dir = join(tmpdir(), `engram-${process.getuid?.() ?? 'user'}`)) {}

  /**
   * Records `role` as served at `address` by this process; written to a temporary name, then renamed.
   * Returns the record's path, for `remove`. Not fsynced: every start writes it anew, and after a power cut
   * no process serves what it said.
   */
  record(instance: ServingInstance, address: AddressInfo): string {
    const url = `http://${loopbackFor(address)}:${address.port}`;
    const record: ServingRecord = { role: instance.role, pid: process.pid, url, configuredPort: instance.port };
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const path = this.pathOf(instance, address.port);
    writeFileSync(`${path}.tmp`, `${JSON.stringify(record)}\n`, { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
    return path;
  }

  /** Removes the record at `path` if this process wrote it (a newer process may have replaced it). */
  remove(path: string): void {
    if (readRecord(path)?.pid === process.pid) rmSync(path, { force: true });
  }

  /**
   * The records of `instance`: for a configured port, the one of that port (if any; its process may have
   * died without removing it, which the probe then reports); for port 0, each server of that store and
   * role configured with port 0 whose process is alive, since each bound a port of its own and a dead
   * one's record names a port nothing serves any more.
   */
  find(instance: ServingInstance): ServingRecord[] {
    const records =
      instance.port !== 0
        ? [readRecord(this.pathOf(instance, instance.port))]
        : this.fileNames(`${instance.role}-${instance.store}-`).map((name) => readRecord(join(this.dir, name)));
    return records.filter(
      (record): record is ServingRecord =>
        record?.role === instance.role &&
        record.configuredPort === instance.port &&
        (instance.port !== 0 || processAlive(record.pid)),
    );
  }

  private fileNames(prefix: string): string[] {
    try {
      return readdirSync(this.dir)
        .filter((name) => name.startsWith(prefix) && name.endsWith('.json'))
        .sort();
    } catch {
      return [];
    }
  }

  private pathOf({ role, store }: ServingInstance, boundPort: number): string {
    return join(this.dir, `${role}-${store}-${boundPort}.json`);
  }
}

function readRecord(path: string): ServingRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(path, 'utf8')) as ServingRecord;
    return typeof record.url === 'string' && typeof record.pid === 'number' ? record : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process with this id runs (signal 0 only checks; EPERM means it runs as another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
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
  try {
    const path = records.record(servingInstance(role, config), server.address() as AddressInfo);
    return () => records.remove(path);
  } catch (error) {
    logger.warn(`engram health cannot find this ${role}: ${(error as Error).message}`, 'Startup');
    return () => undefined;
  }
}
