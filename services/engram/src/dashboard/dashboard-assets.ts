import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { routeAccess } from '../auth/route-access';

/** Where services/engram/dashboard/build.mjs puts the bundle: beside the compiled service. */
export const DASHBOARD_DIR = join(__dirname, '..', 'public');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * The page runs only its own bundle and talks only to this server, so script injected into it could not
 * send the API key (kept in the tab's sessionStorage) anywhere else.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

export interface DashboardAsset {
  /** URL path, e.g. `/app.js`; index.html is also served at `/`. */
  path: string;
  body: Buffer;
  contentType: string;
  etag: string;
}

/** The built dashboard files, read once (a few tens of KB); none when the dashboard was not built. */
export function loadDashboardAssets(dir = DASHBOARD_DIR): DashboardAsset[] {
  if (!existsSync(dir)) return [];
  const assets: DashboardAsset[] = [];
  for (const name of readdirSync(dir).sort()) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (!contentType) continue;
    const body = readFileSync(join(dir, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.push({ path: `/${name}`, body, contentType, etag });
    if (name === 'index.html') assets.push({ path: '/', body, contentType, etag });
  }
  return assets;
}

/**
 * One GET (and HEAD) route per file, so the route table lists exactly what is public: the files hold no
 * data, and the page must load to ask for the key.
 */
export function registerDashboard(fastify: FastifyInstance, assets: readonly DashboardAsset[]): void {
  for (const asset of assets) {
    fastify.get(asset.path, { config: routeAccess('public') }, async (request: FastifyRequest, reply: FastifyReply) => {
      void reply
        .header('content-type', asset.contentType)
        .header('etag', asset.etag)
        .header('cache-control', 'no-cache') // names carry no hash: revalidate, answered 304 when unchanged
        .header('x-content-type-options', 'nosniff');
      if (asset.contentType.startsWith('text/html'))
        void reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
      if (request.headers['if-none-match'] === asset.etag) return reply.status(304).send();
      return reply.send(asset.body);
    });
  }
}
