import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../config/config.types';
import { ApiKeyVerifier, presentedApiKey } from './api-key.verifier';

/** Routes anyone may call: liveness and the minimal health answer, which hold no data. */
const PUBLIC_PATHS = new Set(['/api/health', '/health/live']);

/** The event stream: EventSource cannot send headers, so it alone may carry the key as `?api_key=`. */
const QUERY_KEY_PATHS = new Set(['/api/events/stream', '/api/events']);

/**
 * Deny by default: one hook in front of every route — REST, docs, metrics, and unknown paths alike —
 * so a route added later cannot forget its guard. CORS preflights pass (browsers send them without
 * credentials); the real request that follows is checked.
 */
export function registerApiKeyHook(
  fastify: FastifyInstance,
  config: AppConfig,
  /** The dashboard's static files (GET/HEAD only): they hold no data, and the page must load to ask for the key. */
  publicFiles: Iterable<string> = [],
): void {
  const verifier = new ApiKeyVerifier(config.auth.apiKey);
  if (verifier.disabled) return;
  const open = new Set(PUBLIC_PATHS);
  if (config.metrics.public) open.add('/metrics');
  const files = new Set(publicFiles);

  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const path = pathOf(request.url);
    if (request.method === 'OPTIONS' || open.has(path)) return;
    const readsFile = request.method === 'GET' || request.method === 'HEAD';
    if (readsFile && files.has(path)) return;
    const key = presentedApiKey(request.headers) ?? (QUERY_KEY_PATHS.has(path) ? queryKey(request.query) : undefined);
    if (verifier.matches(key)) return;
    await reply.status(401).header('WWW-Authenticate', 'Bearer realm="engram"').send({
      error: 'unauthorized',
      message: 'Missing or invalid API key: send it as "Authorization: Bearer <key>" or "X-API-Key: <key>"',
    });
  });
}

function queryKey(query: unknown): string | undefined {
  const value = (query as Record<string, unknown> | undefined)?.api_key;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function pathOf(url: string): string {
  const path = url.split('?', 1)[0];
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}
