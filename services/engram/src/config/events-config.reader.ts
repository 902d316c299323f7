import { EventsConfig } from './config.types';
import { EnvReader } from './env-reader';

const MIB = 1024 * 1024;

/**
 * Event streams and their replay. Streams are connections to one process, so their caps count per
 * process. A namespace's share defaults to a quarter of the process's streams and may not exceed them:
 * however many keys one tenant holds, the others keep streams to open.
 */
export function readEventsConfig(read: EnvReader): EventsConfig {
  const sseMaxClients = read.integer('ENGRAM_SSE_MAX_CLIENTS', 1000, 1, 100_000);
  return {
    ringSize: read.integer('ENGRAM_EVENTS_RING_SIZE', 1000, 0, 100_000),
    includeContent: read.boolean('ENGRAM_EVENTS_INCLUDE_CONTENT', false),
    sseHeartbeatSeconds: read.integer('ENGRAM_SSE_HEARTBEAT_SECONDS', 15, 1, 3600),
    sseClientBufferBytes: read.integer('ENGRAM_SSE_CLIENT_BUFFER_BYTES', MIB, 4096, 64 * MIB),
    sseMaxClients,
    sseMaxClientsPerCredential: read.integer('ENGRAM_SSE_MAX_CLIENTS_PER_CREDENTIAL', 20, 1, 100_000),
    sseMaxClientsPerNamespace: read.integer(
      'ENGRAM_SSE_MAX_CLIENTS_PER_NAMESPACE',
      Math.max(1, Math.floor(sseMaxClients / 4)),
      1,
      sseMaxClients,
    ),
  };
}
