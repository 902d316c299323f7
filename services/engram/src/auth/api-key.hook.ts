import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../config/config.types';
import { ApiKeyVerifier, presentedApiKey } from './api-key.verifier';

/** Routes anyone may call: liveness and the minimal health answer, which hold no data. */
const PUBLIC_PATHS = new Set(['/api/health', '/health/live']);

/**
 * Deny by default: one hook in front of every route — REST, docs, metrics, and unknown paths alike —
 * so a route added later cannot forget its guard. CORS preflights pass (browsers send them without
 * credentials); the real request that follows is checked.
 */
export function registerApiKeyHook(fastify: FastifyInstance, config: AppConfig): void {
  const verifier = new ApiKeyVerifier(config.auth.apiKey);
  if (verifier.disabled) return;
  const open = new Set(PUBLIC_PATHS);
  if (config.metrics.public) open.add('/metrics');

  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method === 'OPTIONS' || open.has(pathOf(request.url))) return;
    if (verifier.matches(presentedApiKey(request.headers))) return;
    await reply.status(401).header('WWW-Authenticate', 'Bearer realm="engram"').send({
      error: 'unauthorized',
      message: 'Missing or invalid API key: send it as "Authorization: Bearer <key>" or "X-API-Key: <key>"',
    });
  });
}

function pathOf(url: string): string {
  const path = url.split('?', 1)[0];
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}
