import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RegisteredRoute, routesOf } from '../http/create-app';
import { rawRequest } from '../testing/raw-request';
import { startOAuthTestApp } from '../testing/oauth-flow';
import { TestApp } from '../testing/test-app';

const BOOTSTRAP = 'bootstrap-key-0123456789abcdef';
const DASHBOARD_FILES = ['/', '/index.html', '/app.js', '/app.css'];

/** What is reachable without a credential: liveness, the dashboard's files, and OAuth's own endpoints. */
const PUBLIC_ROUTES = [
  'GET /health/live',
  'GET /api/health',
  ...DASHBOARD_FILES.map((path) => `GET ${path}`),
  'GET /.well-known/oauth-protected-resource',
  'GET /.well-known/oauth-protected-resource/mcp',
  'GET /.well-known/oauth-authorization-server',
  'GET /.well-known/openid-configuration',
  'POST /oauth/register',
  'GET /oauth/authorize',
  'POST /oauth/authorize',
  'POST /oauth/token',
  'POST /oauth/revoke',
];

/** Operations on the whole store: admin scope and a credential bound to no namespace. */
const ADMIN_ROUTES = [
  'POST /api/admin/backup',
  'POST /api/backup/now',
  'GET /api/admin/backups',
  'DELETE /api/admin/backups/:name',
  'GET /api/backup/list',
  'GET /api/backup/status',
  'POST /api/admin/restore',
  'POST /api/admin/reindex',
  'GET /api/jobs',
  'GET /api/jobs/:id',
  'DELETE /api/jobs/:id',
  'POST /api/admin/keys',
  'GET /api/admin/keys',
  'DELETE /api/admin/keys/:id',
  'GET /api/admin/oauth/clients',
  'DELETE /api/admin/oauth/clients/:id',
  'GET /api/agent/transcripts',
  'GET /api/export',
];

const nameOf = ({ method, url }: RegisteredRoute) => `${method} ${url}`;

describe('access is declared per route and decided from the matched route', () => {
  let api: TestApp;
  let routes: RegisteredRoute[];
  const as = (key: string) => ({ authorization: `Bearer ${key}` });

  before(async () => {
    api = await startOAuthTestApp(BOOTSTRAP, { ENGRAM_OAUTH_OPEN_REGISTRATION: 'true' });
    // CORS preflights carry no credential by design; HEAD routes mirror their GET (checked below).
    routes = routesOf(api.app).filter((route) => route.method !== 'HEAD' && route.method !== 'OPTIONS');
  });
  after(() => api.close());

  it('has every registered route declare public, any credential, read, write or admin (routes enumerated from the server)', () => {
    assert.ok(routes.length >= 40, `expected the full route table, got ${routes.length}`);
    const undeclared = routes.filter((route) => route.access === undefined).map(nameOf);
    for (const head of routesOf(api.app).filter((route) => route.method === 'HEAD')) {
      const get = routes.find((route) => route.method === 'GET' && route.url === head.url);
      assert.deepEqual(head.access, get?.access, `HEAD ${head.url} declares what GET does`);
    }
    const preflights = routesOf(api.app).filter((route) => route.method === 'OPTIONS');
    assert.deepEqual(preflights.map(nameOf), ['OPTIONS *'], 'the CORS plugin answers preflights, nothing else');
    assert.deepEqual(undeclared, [], 'routes without an access declaration');
    // The API docs page and Swagger UI's files (a library, no data) are public too; the spec is not.
    const publicRoutes = routes
      .filter((route) => route.access!.scope === 'public' && !/^\/api\/docs(\/|$)/.test(route.url))
      .map(nameOf);
    assert.deepEqual(publicRoutes.sort(), [...PUBLIC_ROUTES].sort());
    assert.equal(routes.find((route) => route.url === '/api/docs-json')?.access?.scope, 'read');
    const adminRoutes = routes.filter((route) => route.access!.scope === 'admin').map(nameOf);
    assert.deepEqual(adminRoutes.sort(), [...ADMIN_ROUTES, 'GET /api/admin/audit'].sort());
    for (const route of routes) {
      if (/^\/api\/(admin|jobs|backup)(\/|$)/.test(route.url)) {
        assert.equal(route.access!.scope, 'admin', `${nameOf(route)} lives under an admin path`);
      }
      if (route.access!.scope === 'admin') assert.equal(route.access!.wholeStore, true, nameOf(route));
    }
    const wholeStoreReads = routes.filter((route) => route.access!.scope === 'read' && route.access!.wholeStore);
    assert.deepEqual(wholeStoreReads.map(nameOf).sort(), ['GET /health/ready', 'GET /metrics']);
    const readOnlyPosts = [
      'POST /api/search',
      'POST /api/memories/search',
      'POST /api/search/by-tag',
      'POST /api/search/by-time',
    ];
    const changesDeclaredRead = routes
      .filter((route) => !['GET', 'HEAD'].includes(route.method) && route.access!.scope === 'read')
      .map(nameOf);
    assert.deepEqual(changesDeclaredRead.sort(), [...readOnlyPosts].sort(), 'only searches change nothing');
    const perTool = routes.filter((route) => route.access!.scope === 'credential').map(nameOf);
    assert.deepEqual(perTool.sort(), ['DELETE /mcp', 'GET /mcp', 'POST /mcp'], 'MCP checks scopes per tool');
    const declaredWrites = routes.filter((route) => route.access!.scope === 'write').map(nameOf);
    for (const write of [
      'POST /api/memories',
      'PUT /api/memories/:hash',
      'POST /api/import',
      'DELETE /api/import/:id',
      'POST /api/agent/query',
    ]) {
      assert.ok(declaredWrites.includes(write), `${write} needs write`);
    }
  });

  it('refuses percent-encoded and #-suffixed variants of every admin path to bound and read-only keys', async () => {
    const keyOf = async (body: Record<string, unknown>) =>
      (await api.request('POST', '/api/admin/keys', { headers: as(BOOTSTRAP), body })).body as {
        key: string;
        id: string;
      };
    const callers = {
      'bound write key': (await keyOf({ name: 'team a', scopes: ['write'], namespace: 'team-a' })).key,
      'bound admin key': (await keyOf({ name: 'team a admin', scopes: ['admin'], namespace: 'team-a' })).key,
      'unbound read key': (await keyOf({ name: 'reader', scopes: ['read'] })).key,
      'unbound write key': (await keyOf({ name: 'writer', scopes: ['write'] })).key,
    };
    // Real targets, so a request that got through would succeed instead of answering 404 for a missing id.
    const victim = await keyOf({ name: 'victim', scopes: ['read'] });
    const backup = await api.request('POST', '/api/backup/now', { headers: as(BOOTSTRAP) });
    assert.equal(backup.status, 200, backup.text);
    const client = await rawRequest(api.url, 'POST', '/oauth/register', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'victim', redirect_uris: ['http://127.0.0.1:9/cb'] }),
    });
    assert.equal(client.status, 201, client.text);
    const jobsBefore = (await api.request('GET', '/api/jobs', { headers: as(BOOTSTRAP) })).body.total;
    const ids: Record<string, string> = {
      '/api/jobs/:id': backup.body.job_id,
      '/api/admin/keys/:id': victim.id,
      '/api/admin/oauth/clients/:id': client.body.client_id,
      '/api/admin/backups/:name': backup.body.backup_id,
    };
    const bodies: Record<string, string> = {
      '/api/admin/restore': JSON.stringify({ backup_id: backup.body.backup_id }),
    };

    const answered = new Map<number, number>();
    // The list the first test proves equal to the server's admin routes.
    for (const [method, url] of ADMIN_ROUTES.map((route) => route.split(' '))) {
      const route = { method, url };
      const path = route.url.replace(/\/:(id|name)$/, `/${ids[route.url]}`);
      for (const variant of hostileVariants(path)) {
        for (const [caller, key] of Object.entries(callers)) {
          const body = bodies[route.url] ?? (route.method === 'POST' ? '{}' : undefined);
          const response = await rawRequest(api.url, route.method, variant, {
            headers: { ...as(key), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
            body,
          });
          assert.ok(
            response.status === 403 || response.status === 404,
            `${caller}: ${route.method} ${variant} answered ${response.status} ${response.text.slice(0, 200)}`,
          );
          answered.set(response.status, (answered.get(response.status) ?? 0) + 1);
        }
      }
    }
    assert.ok((answered.get(403) ?? 0) > 100, 'the router matched most variants, and the route refused them');

    const jobsAfter = await api.request('GET', '/api/jobs', { headers: as(BOOTSTRAP) });
    assert.equal(jobsAfter.body.total, jobsBefore, 'no backup, restore or reindex was queued');
    const keys = (await api.request('GET', '/api/admin/keys', { headers: as(BOOTSTRAP) })).body.keys;
    assert.equal(keys.find((key: { id: string }) => key.id === victim.id).revoked_at, null, 'the key still works');
    const backups = (await api.request('GET', '/api/admin/backups', { headers: as(BOOTSTRAP) })).body.backups;
    assert.ok(
      backups.some((listed: { backup_id: string }) => listed.backup_id === backup.body.backup_id),
      'the backup is still there',
    );
  });
});

/** The ways a path can be written that a URL-text check would not recognise but a router may still match. */
function hostileVariants(path: string): string[] {
  const segments = path.split('/').slice(1);
  const encodeFirst = (segment: string, upper: boolean) => {
    const hex = segment.charCodeAt(0).toString(16);
    return `%${upper ? hex.toUpperCase() : hex}${segment.slice(1)}`;
  };
  const variants = new Set<string>();
  segments.forEach((_, index) => {
    for (const upper of [false, true]) {
      variants.add(`/${segments.map((segment, i) => (i === index ? encodeFirst(segment, upper) : segment)).join('/')}`);
    }
  });
  variants.add(
    `/${segments.map((segment) => [...segment].map((char) => `%${char.charCodeAt(0).toString(16)}`).join('')).join('/')}`,
  );
  variants.add(`${path}#`);
  variants.add(`${path}#fragment`);
  variants.add(`${path}/`);
  variants.add(`${path}?`);
  variants.add(path.replace('/api/', '/api//'));
  variants.add(path.replace('/api/', '/api/./'));
  variants.add(path.replace('/api/', '/api/x/../'));
  variants.add(path.replace('/api/', '/api%2F'));
  variants.add(path.toUpperCase());
  variants.add(path);
  return [...variants];
}
