import { ConsoleLogger, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from '../app.module';
import { registerApiKeyHook } from '../auth/api-key.hook';
import { AppConfig } from '../config/config.types';
import { loadDashboardAssets, registerDashboard } from '../dashboard/dashboard-assets';
import { EngramMetrics } from '../metrics/engram-metrics';
import { registerJsonBodyParser } from './json-body.parser';
import { setUpOpenApi } from './openapi';
import { registerRequestObserver } from './request-observer.hook';
import { requestId } from './request-id';
import { ENGRAM_VERSION } from '../common/version';

const LOG_LEVELS = {
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  info: ['fatal', 'error', 'warn', 'log'],
  warn: ['fatal', 'error', 'warn'],
  error: ['fatal', 'error'],
} as const;

export function createLogger(config: AppConfig): LoggerService {
  return new ConsoleLogger('Engram', { json: true, logLevels: [...LOG_LEVELS[config.log.level]] });
}

export interface RegisteredRoute {
  method: string;
  url: string;
}

const registeredRoutes = new WeakMap<object, RegisteredRoute[]>();

/** Every route the HTTP server answers (filled when the app initialises): the auth test walks them all. */
export function routesOf(app: NestFastifyApplication): RegisteredRoute[] {
  return registeredRoutes.get(app) ?? [];
}

/** Builds the api application (not yet listening): every module, hook, parser and document wired. */
export async function createApp(config: AppConfig, logger = createLogger(config)): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.limits.maxBodyBytes,
    genReqId: requestId,
    requestIdHeader: false,
    trustProxy: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger,
    bodyParser: false,
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  const routes: RegisteredRoute[] = [];
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  registeredRoutes.set(app, routes);

  registerJsonBodyParser(fastify, config.limits.maxBodyBytes);
  const dashboard = loadDashboardAssets();
  if (dashboard.length === 0) logger.warn('The dashboard is not built: / will answer 404 (npm run build builds it)');
  registerApiKeyHook(
    fastify,
    config,
    dashboard.map((asset) => asset.path),
  );
  registerDashboard(fastify, dashboard);
  registerRequestObserver(fastify, app.get(EngramMetrics));
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
  });

  const wildcard = config.http.corsOrigins.includes('*');
  app.enableCors({
    origin: wildcard ? '*' : config.http.corsOrigins,
    credentials: !wildcard,
    allowedHeaders: ['Authorization', 'X-API-Key', 'Content-Type', 'X-Agent-ID', 'X-Request-Id', 'Last-Event-ID'],
    exposedHeaders: ['X-Request-Id'],
    methods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
  });
  setUpOpenApi(app, ENGRAM_VERSION);
  return app;
}
