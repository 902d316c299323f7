import type { FastifyInstance } from 'fastify';
import { routeAccess } from '../auth/route-access';
import { OAUTH_DISCOVERY_PATHS } from './oauth.controller';

/** Discovery documents the OAuth controller serves when OAuth is on (OpenID's is never served). */
const SERVED_WITH_OAUTH = new Set([
  '/.well-known/oauth-protected-resource',
  '/.well-known/oauth-protected-resource/mcp',
  '/.well-known/oauth-authorization-server',
]);

/**
 * The discovery paths this server does not serve answer 404 to anyone (OpenID's always; OAuth's while
 * OAuth is off), so MCP clients learn at once that it takes API keys rather than starting an OAuth flow
 * it cannot finish.
 */
export function registerAbsentDiscovery(fastify: FastifyInstance, oauthEnabled: boolean): void {
  for (const path of OAUTH_DISCOVERY_PATHS) {
    if (oauthEnabled && SERVED_WITH_OAUTH.has(path)) continue;
    fastify.get(path, { config: routeAccess('public') }, async (_request, reply) =>
      reply.status(404).send({
        error: 'not_found',
        message: oauthEnabled
          ? `${path} is not served: this server is an OAuth 2.0 authorization server, see /.well-known/oauth-authorization-server`
          : 'OAuth is off on this server: send an API key as "Authorization: Bearer <key>"',
      }),
    );
  }
}
