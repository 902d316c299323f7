import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config/config.loader';
import { AppConfig } from '../config/config.types';
import { createApp } from '../http/create-app';
import { makeTempDir } from './temp-dir';

export { makeTempDir };

export interface TestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is (no JSON encoding), e.g. malformed JSON or invalid UTF-8. */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
}

/** A real Engram api on 127.0.0.1 with its own SQLite file in a temp dir. */
export interface TestApp {
  url: string;
  dir: string;
  config: AppConfig;
  app: NestFastifyApplication;
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<TestResponse<T>>;
  close(options?: { keepDir?: boolean }): Promise<void>;
}

export async function startTestApp(env: Record<string, string> = {}, dir = makeTempDir()): Promise<TestApp> {
  const config = loadConfig({
    env: { MCP_MEMORY_SQLITE_PATH: join(dir, 'engram.db'), MCP_HTTP_PORT: '0', LOG_LEVEL: 'error', ...env },
    cwd: dir,
  });
  const app = await createApp(config);
  await app.listen({ host: '127.0.0.1', port: config.http.port });
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    dir,
    config,
    app,
    request: (method, path, options = {}) => sendRequest(url, method, path, options),
    async close({ keepDir = false } = {}) {
      await app.close();
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function sendRequest<T>(
  baseUrl: string,
  method: string,
  path: string,
  { body, rawBody, headers = {} }: RequestOptions = {},
): Promise<TestResponse<T>> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (rawBody !== undefined) {
    init.body = rawBody;
    init.headers = { 'content-type': 'application/json', ...headers };
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'content-type': 'application/json', ...headers };
  }
  const response = await fetch(`${baseUrl}${path}`, init);
  const text = await response.text();
  let parsed: unknown = text;
  if (text !== '' && response.headers.get('content-type')?.includes('application/json')) parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}
