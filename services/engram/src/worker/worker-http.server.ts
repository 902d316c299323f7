import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { ApiKeyVerifier, presentedApiKey } from '../auth/api-key.verifier';
import { AppConfig } from '../config/config.types';

export interface WorkerProbes {
  /** Readiness checks by name: each resolves with its details, or rejects with what is wrong. */
  ready(): Promise<{ ok: boolean; details: Record<string, unknown> }>;
  metrics(): Promise<{ contentType: string; body: string }>;
}

/**
 * The worker's small HTTP face: /health/live (open), /health/ready and /metrics (behind MCP_API_KEY
 * like the api's, /metrics open with METRICS_PUBLIC). Nothing else is served.
 */
export function startWorkerHttpServer(config: AppConfig, probes: WorkerProbes, host: string): Promise<Server> {
  const verifier = new ApiKeyVerifier(config.auth.apiKey);
  const server = createServer((request, response) => {
    void answer(request, response).catch(() =>
      send(response, 500, { error: 'internal_error', message: 'Internal server error' }),
    );
  });

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (request.method !== 'GET') return send(response, 405, { error: 'method_not_allowed', message: 'GET only' });
    if (path === '/health/live') return send(response, 200, { status: 'ok' });
    const open = path === '/metrics' && config.metrics.public;
    if (!open && !verifier.matches(presentedApiKey(request.headers))) {
      return send(response, 401, { error: 'unauthorized', message: 'Missing or invalid API key' });
    }
    if (path === '/health/ready') {
      const { ok, details } = await probes.ready();
      return send(response, ok ? 200 : 503, { status: ok ? 'ok' : 'error', details });
    }
    if (path === '/metrics') {
      const { contentType, body } = await probes.metrics();
      response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body);
      return;
    }
    send(response, 404, { error: 'not_found', message: `No route GET ${path}` });
  }

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.worker.httpPort, host, () => resolve(server));
  });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
