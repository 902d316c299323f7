import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { routeAccess } from '../auth/route-access';

const DOCS_PATH = 'api/docs';

/**
 * OpenAPI document at /api/docs-json, Swagger UI at /api/docs: they describe the API, not the data, and
 * any credential may read them.
 */
export function setUpOpenApi(app: NestFastifyApplication, version: string): void {
  // @nestjs/swagger registers its routes itself: give them their access declaration as they are added.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRoute', (route) => {
      if (route.url.startsWith(`/${DOCS_PATH}`)) route.config = { ...route.config, ...routeAccess('read') };
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
  SwaggerModule.setup(DOCS_PATH, app, document, { jsonDocumentUrl: `${DOCS_PATH}-json` });
}
