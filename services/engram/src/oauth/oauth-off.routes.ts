import type { FastifyInstance } from 'fastify';
import { routeAccess } from '../auth/route-access';
import { OAUTH_DISCOVERY_PATHS } from './oauth.controller';

/**
 * With OAuth off the discovery documents answer 404 to anyone, so MCP clients learn at once that this
 * server takes API keys instead of starting an OAuth flow it cannot finish.
 */
export function registerOAuthOffDiscovery(fastify: FastifyInstance): void {
  for (const path of OAUTH_DISCOVERY_PATHS) {
    fastify.get(path, { config: routeAccess('public') }, async (_request, reply) =>
      reply.status(404).send({
        error: 'not_found',
        message: 'OAuth is off on this server: send an API key as "Authorization: Bearer <key>"',
      }),
    );
  }
}
