import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { routeAccess } from '../auth/route-access';

const DOCS = '/api/docs';
const SPEC = '/api/docs-json';

/**
 * Runs in the docs page: every request Swagger UI makes carries the key kept for this tab, and when the
 * spec answers 401 the page asks for the key once and reloads.
 */
const ASK_FOR_KEY = `(() => {
  const stored = 'engram.docs.apiKey';
  const plainFetch = window.fetch.bind(window);
  window.fetch = async (input, init = {}) => {
    const key = sessionStorage.getItem(stored);
    const headers = new Headers(init.headers || (input instanceof Request ? input.headers : undefined));
    if (key && !headers.has('x-api-key')) headers.set('X-API-Key', key);
    const response = await plainFetch(input, { ...init, headers });
    const url = new URL(input instanceof Request ? input.url : String(input), location.href);
    if (response.status === 401 && url.pathname === '${SPEC}') {
      const entered = prompt('This Engram needs an API key to show its API documentation (kept for this tab only):');
      if (entered && entered.trim()) {
        sessionStorage.setItem(stored, entered.trim());
        location.reload();
      }
    }
    return response;
  };
})();`;

/** The document's own routes (json and yaml), which need a credential; the page and its files are public. */
function isSpecRoute(routeUrl: string): boolean {
  return routeUrl.startsWith(`${DOCS}-`);
}

/**
 * OpenAPI document at /api/docs-json (behind the API key when one is set), and Swagger UI at /api/docs,
 * which loads that document with the key it asks for instead of embedding the document in the page.
 */
export function setUpOpenApi(app: NestFastifyApplication, version: string): void {
  // @nestjs/swagger registers its routes itself: declare their access as they are added. The page and
  // Swagger UI's files hold no data and a browser cannot send a key to load them; the spec (json and
  // yaml) needs a credential.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRoute', (route) => {
      if (!route.url.startsWith(DOCS)) return;
      route.config = { ...route.config, ...routeAccess(isSpecRoute(route.url) ? 'read' : 'public') };
    });
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Engram')
      .setDescription('Self-hosted long-term memory for AI agents: store, search and manage memories.')
      .setVersion(version)
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api_key')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup(DOCS.slice(1), app, document, {
    jsonDocumentUrl: SPEC.slice(1),
    swaggerUrl: SPEC,
    customJsStr: ASK_FOR_KEY,
    customSiteTitle: 'Engram API',
    // Only the routes that need a credential carry the document, decided by the matched route (never the
    // URL's text): the public init script answers with no spec, and the page loads SPEC with the key.
    patchDocumentOnRequest: <Request>(request: Request, _response: unknown, full: typeof document) =>
      isSpecRoute((request as { routeOptions?: { url?: string } }).routeOptions?.url ?? '')
        ? full
        : (undefined as unknown as typeof document),
  });
}
