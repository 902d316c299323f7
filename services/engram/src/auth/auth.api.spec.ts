import assert from 'node:assert/strict';
import { get as httpGet } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { routesOf } from '../http/create-app';
import { OAUTH_DISCOVERY_PATHS } from '../oauth/oauth.controller';
import { captureStdout } from '../testing/stdout-capture';
import { startTestApp, TestApp } from '../testing/test-app';

const API_KEY = 'test-key-0123456789abcdef';
/** The dashboard's static files: public because they hold no data (the page asks for the key). */
const DASHBOARD_FILES = ['/', '/index.html', '/app.js', '/app.css'];
const OPEN_ROUTES = new Set([
  'GET /api/health',
  'GET /health/live',
  'HEAD /api/health',
  'HEAD /health/live',
  ...DASHBOARD_FILES.flatMap((path) => [`GET ${path}`, `HEAD ${path}`]),
  // With OAuth off the discovery documents answer 404 to anyone (oauth/absent-discovery.routes.ts).
  ...OAUTH_DISCOVERY_PATHS.flatMap((path) => [`GET ${path}`, `HEAD ${path}`]),
]);

describe('API key auth and CORS', () => {
  let api: TestApp;
  before(async () => {
    api = await startTestApp({ MCP_API_KEY: API_KEY, MCP_CORS_ORIGINS: 'https://app.example.com' });
  });
  after(async () => {
    await api.close();
  });

  it('answers 401 JSON on every registered route without the key (routes enumerated from the server)', async () => {
    const routes = routesOf(api.app).filter((route) => route.method !== 'OPTIONS');
    assert.ok(routes.length >= 15, `expected the full route table, got ${routes.length}`);
    const checked: string[] = [];
    for (const { method, url } of routes) {
      // The API docs page and Swagger UI's files (a library, no data) are public: checked below.
      if (OPEN_ROUTES.has(`${method} ${url}`) || isDocsPage(url)) continue;
      const path = url.replace(/:hash/g, 'a'.repeat(64)).replace(/\*$/, 'index.html');
      const response = await api.request(method, path, method === 'GET' || method === 'HEAD' ? {} : { body: {} });
      assert.equal(response.status, 401, `${method} ${url} answered ${response.status}`);
      if (method !== 'HEAD') assert.equal(response.body.error, 'unauthorized', `${method} ${url}`);
      checked.push(`${method} ${url}`);
    }
    for (const expected of [
      'POST /api/memories',
      'GET /api/memories',
      'POST /api/search',
      'GET /metrics',
      'GET /api/docs-json',
      'GET /health/ready',
      'GET /api/health/detailed',
      'POST /mcp',
      'GET /mcp',
      'DELETE /mcp',
    ]) {
      assert.ok(checked.includes(expected), `${expected} was not among the enumerated routes`);
    }
  });

  it('serves exactly the dashboard files without the key, with a restrictive content security policy', async () => {
    const served = routesOf(api.app)
      .filter((route) => route.method === 'GET' && OPEN_ROUTES.has(`GET ${route.url}`))
      .map((route) => route.url);
    assert.deepEqual(served.filter((url) => DASHBOARD_FILES.includes(url)).sort(), [...DASHBOARD_FILES].sort());
    for (const path of DASHBOARD_FILES) {
      const response = await api.request('GET', path);
      assert.equal(response.status, 200, path);
      assert.ok(!response.text.includes(API_KEY));
    }
    const page = await api.request('GET', '/');
    assert.match(page.headers.get('content-type')!, /^text\/html/);
    assert.match(page.headers.get('content-security-policy')!, /default-src 'self'.*connect-src 'self'/);
    for (const path of ['/app.js.map', '/index.htm', '/.env', '/dashboard/app.js', '/public/app.js']) {
      assert.equal((await api.request('GET', path)).status, 401, path);
    }
    assert.equal((await api.request('POST', '/', { body: {} })).status, 401, 'only GET and HEAD are public');
  });

  it('serves the API docs page without the key; the page carries no spec, which stays behind the key', async () => {
    const page = await api.request('GET', '/api/docs');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type')!, /^text\/html/);
    assert.match(page.text, /sessionStorage/, 'the page asks for the key and keeps it for the tab');
    for (const asset of ['/api/docs/swagger-ui-bundle.js', '/api/docs/swagger-ui.css']) {
      assert.equal((await api.request('GET', asset)).status, 200, asset);
    }
    const init = await api.request('GET', '/api/docs/swagger-ui-init.js');
    assert.equal(init.status, 200);
    assert.doesNotMatch(init.text, /\/api\/memories/, 'no path of the spec in the public script');
    assert.match(init.text, /"swaggerUrl": "\/api\/docs-json"/);
    // The same public route however its URL is spelled: still no document (decided by route, not URL text).
    for (const spelled of ['/api/docs/swagger-ui-init.js?x=1', '/api/docs/swagger-ui-init%2ejs']) {
      const other = await api.request('GET', spelled);
      assert.equal(other.status, 200, spelled);
      assert.doesNotMatch(other.text, /\/api\/memories/, spelled);
    }
    assert.equal((await api.request('GET', '/api/docs-json')).status, 401);
    assert.equal((await api.request('GET', '/api/docs-json', { headers: { 'x-api-key': API_KEY } })).status, 200);
    assert.equal((await api.request('GET', '/api/docs-yaml')).status, 401, 'the spec in any format');
  });

  it('answers 401 for unknown paths too, so route existence does not leak', async () => {
    assert.equal((await api.request('GET', '/api/secret-admin')).status, 401);
  });

  it('accepts the key as Authorization: Bearer and as X-API-Key, and refuses a wrong or empty one', async () => {
    assert.equal(
      (await api.request('GET', '/api/memories', { headers: { Authorization: `Bearer ${API_KEY}` } })).status,
      200,
    );
    assert.equal((await api.request('GET', '/api/memories', { headers: { 'X-API-Key': API_KEY } })).status, 200);
    assert.equal((await api.request('GET', '/api/memories', { headers: { 'X-API-Key': `${API_KEY}x` } })).status, 401);
    assert.equal((await api.request('GET', '/api/memories', { headers: { Authorization: 'Bearer ' } })).status, 401);
    assert.equal((await api.request('GET', '/api/memories', { headers: { Authorization: API_KEY } })).status, 401);
    assert.equal(
      (await api.request('GET', `/api/memories?api_key=${API_KEY}`)).status,
      401,
      'query keys are for SSE only',
    );
  });

  it('keeps /api/health and /health/live open and free of data', async () => {
    const health = await api.request('GET', '/api/health');
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'healthy' });
    assert.equal((await api.request('GET', '/health/live')).status, 200);
  });

  it('answers CORS preflights without the key, for configured origins only, cacheable for ten minutes', async () => {
    const preflight = await api.request('OPTIONS', '/api/memories', {
      headers: {
        Origin: 'https://app.example.com',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'x-api-key,content-type',
      },
    });
    assert.ok(preflight.status === 204 || preflight.status === 200, `preflight answered ${preflight.status}`);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example.com');
    // Without a max age a browser repeats the preflight before nearly every call (5 s at most in Chromium).
    assert.equal(preflight.headers.get('access-control-max-age'), '600');
    const foreign = await api.request('OPTIONS', '/api/memories', {
      headers: { Origin: 'https://evil.example.net', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
  });

  it('does not log the key or memory content at info level', async () => {
    const text = await captureStdout(async () => {
      const verbose = await startTestApp({ MCP_API_KEY: API_KEY, LOG_LEVEL: 'info' });
      try {
        await verbose.request('POST', '/api/memories', {
          body: { content: 'secret diary entry' },
          headers: { 'X-API-Key': API_KEY },
        });
        await verbose.request('GET', `/api/memories?page=1`, { headers: { Authorization: `Bearer ${API_KEY}` } });
      } finally {
        await verbose.close();
      }
    });
    assert.match(text, /"route":"\/api\/memories"/, 'access log lines are written');
    assert.ok(!text.includes(API_KEY), 'the API key appears in the logs');
    assert.ok(!text.includes('secret diary entry'), 'memory content appears in the logs');
  });
});

describe('open mode (no API key)', () => {
  /** A GET with a chosen Host header, as a page that rebound its domain to 127.0.0.1 would send. */
  const getWithHost = (url: string, host: string) =>
    new Promise<number>((resolve, reject) => {
      const request = httpGet(`${url}/api/memories`, { headers: { host } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.once('error', reject);
    });

  it('serves without a key on loopback, to requests addressed to a loopback name only', async () => {
    const api = await startTestApp();
    try {
      assert.equal((await api.request('GET', '/api/memories')).status, 200);
      const port = new URL(api.url).port;
      assert.equal(await getWithHost(api.url, `localhost:${port}`), 200);
      assert.equal(await getWithHost(api.url, `[::1]:${port}`), 200);
      assert.equal(await getWithHost(api.url, `attacker.example.com:${port}`), 403, 'DNS rebinding is refused');
      assert.equal(await getWithHost(api.url, '127.0.0.1.attacker.example.com'), 403);
    } finally {
      await api.close();
    }
  });

  it('leaves the Host header alone when anonymous access was allowed on purpose', async () => {
    const api = await startTestApp({ MCP_ALLOW_ANONYMOUS_ACCESS: 'true' });
    try {
      assert.equal(await getWithHost(api.url, 'memory.internal.example.com'), 200);
    } finally {
      await api.close();
    }
  });
});

/** The docs page, its init script and Swagger UI's files: everything under /api/docs but the spec. */
function isDocsPage(url: string): boolean {
  return url === '/api/docs' || url.startsWith('/api/docs/');
}
