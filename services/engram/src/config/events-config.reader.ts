import { EventsConfig } from './config.types';
import { EnvReader } from './env-reader';

const MIB = 1024 * 1024;

/** Events kept for replay across every namespace by default: twenty full windows of the default size. */
const DEFAULT_RING_TOTAL = 20_000;

/**
 * Event streams and their replay. Each namespace keeps its own replay window (ENGRAM_EVENTS_RING_SIZE),
 * all of them together at most ENGRAM_EVENTS_RING_TOTAL events, which may not be less than one window.
 * Streams are connections to one process, so their caps count per process. A namespace's share defaults to a quarter of the process's streams and may not exceed them:
 * however many keys one tenant holds, the others keep streams to open.
 */
export function readEventsConfig(read: EnvReader): EventsConfig {
  const sseMaxClients = read.integer('ENGRAM_SSE_MAX_CLIENTS', 1000, 1, 100_000);
  const ringSize = read.integer('ENGRAM_EVENTS_RING_SIZE', 1000, 0, 100_000);
  return {
    ringSize,
    ringTotal: read.integer('ENGRAM_EVENTS_RING_TOTAL', Math.max(DEFAULT_RING_TOTAL, ringSize), ringSize, 10_000_000),
    includeContent: read.boolean('ENGRAM_EVENTS_INCLUDE_CONTENT', false),
    legacyChannel: read.boolean('ENGRAM_EVENTS_LEGACY_CHANNEL', true),
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
