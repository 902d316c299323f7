import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from '../app.module';
import { registerAuthHook } from '../auth/auth.hook';
import { Authenticator } from '../auth/authenticator';
import { FAILURE_LIMITER } from '../auth/failure-limiter';
import { RouteAccess } from '../auth/route-access';
import { registerFormBodyParser } from '../oauth/form-body.parser';
import { registerImportUploadParser } from '../imports/import-upload.parser';
import { mcpUnauthorized } from '../oauth/bearer-challenge';
import { RESOURCE_METADATA_PATH } from '../oauth/oauth.controller';
import { registerAbsentDiscovery } from '../oauth/absent-discovery.routes';
import { AppConfig } from '../config/config.types';
import { loadDashboardAssets, registerDashboard } from '../dashboard/dashboard-assets';
import { EngramMetrics } from '../metrics/engram-metrics';
import { MCP_PATH, McpHttpEndpoint } from '../mcp/mcp-http.endpoint';
import { registerBodyLimits } from './body-limits';
import { corsOptions } from './cors';
import { registerJsonBodyParser } from './json-body.parser';
import { registerRequestChecks, registerRequestIdHeader } from './request-checks';
import { serverOptions } from './server-options';
import { setUpOpenApi } from './openapi';
import { registerRequestObserver } from './request-observer.hook';
import { ENGRAM_VERSION } from '../common/version';
import { registerRequestTracing } from '../tracing/request-tracing.hook';
import { createLogger } from '../process/logger';

export interface RegisteredRoute {
  method: string;
  url: string;
  /** What the route declared it needs (auth/route-access.ts); undefined only for CORS preflights. */
  access?: RouteAccess;
  /** The route's own body limit; undefined for a route that reads the small default (body-limits.ts). */
  bodyLimit?: number;
}

const registeredRoutes = new WeakMap<object, RegisteredRoute[]>();

/** Every route the HTTP server answers (filled when the app initialises): the auth test walks them all. */
export function routesOf(app: NestFastifyApplication): RegisteredRoute[] {
  return registeredRoutes.get(app) ?? [];
}

/** Builds the api application (not yet listening): every module, hook, parser and document wired. */
export async function createApp(config: AppConfig, logger = createLogger(config)): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter(serverOptions(config));
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, { serving: true }), adapter, {
    logger,
    bodyParser: false,
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  const routes: RegisteredRoute[] = [];
  fastify.addHook('onRoute', (route) => {
    // Read the declaration when asked: onRoute hooks registered later (the docs' declaration) may still set it.
    for (const method of [route.method].flat()) {
      routes.push({
        method,
        url: route.url,
        get access() {
          return route.config?.access;
        },
        get bodyLimit() {
          return route.bodyLimit;
        },
      });
    }
  });
  registeredRoutes.set(app, routes);

  registerBodyLimits(fastify, config.limits);
  registerJsonBodyParser(fastify);
  registerImportUploadParser(fastify, config.imports);
  const dashboard = loadDashboardAssets();
  if (dashboard.length === 0) logger.warn('The dashboard is not built: / will answer 404 (npm run build builds it)');
  if (config.oauth.enabled) registerFormBodyParser(fastify, ['/oauth/']);
  registerRequestTracing(fastify);
  registerRequestChecks(fastify);
  registerAuthHook(fastify, config, app.get(Authenticator), app.get(FAILURE_LIMITER), {
    tokenRoute: MCP_PATH,
    unauthorized: config.oauth.enabled
      ? (route, presented) =>
          route === MCP_PATH ? mcpUnauthorized(`${config.publicUrl}${RESOURCE_METADATA_PATH}`, presented) : undefined
      : undefined,
  });
  registerAbsentDiscovery(fastify, config.oauth.enabled);
  registerDashboard(fastify, dashboard);
  registerRequestObserver(fastify, config, app.get(EngramMetrics));
  app.get(McpHttpEndpoint).register(fastify);
  registerRequestIdHeader(fastify);

  app.enableCors(corsOptions(config));
  setUpOpenApi(app, ENGRAM_VERSION);
  return app;
}
