import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

const DOCS = '/api/docs';
const SPEC = '/api/docs-json';

/**
 * The documentation page and its assets: open to anyone, because they hold no data (the page loads the
 * spec from SPEC, which stays behind the key) and a browser cannot send a key to load them.
 */
export const DOCS_PAGE_PATHS = [
  DOCS,
  `${DOCS}/`,
  `${DOCS}/index.html`,
  `${DOCS}/swagger-ui-init.js`,
  `${DOCS}/swagger-ui.css`,
  `${DOCS}/swagger-ui-bundle.js`,
  `${DOCS}/swagger-ui-standalone-preset.js`,
  `${DOCS}/favicon-32x32.png`,
  `${DOCS}/favicon-16x16.png`,
];

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

/**
 * OpenAPI document at /api/docs-json (behind the API key when one is set), and Swagger UI at /api/docs,
 * which loads that document with the key it asks for instead of embedding the document in the page.
 */
export function setUpOpenApi(app: INestApplication, version: string): void {
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
    // The public init script must not carry the document: it answers with no spec, and the page loads SPEC.
    patchDocumentOnRequest: <Request>(request: Request, _response: unknown, full: typeof document) =>
      (request as { url?: string }).url?.endsWith('/swagger-ui-init.js')
        ? (undefined as unknown as typeof document)
        : full,
  });
}
