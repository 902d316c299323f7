import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startEngram } from './engram-cli';
import { freePort, tempDir } from './process-harness';

const API_KEY = 'ready-line-key-0123456789abcdef';

interface ReadyLine {
  mode: string;
  listening: string;
  dashboard: string;
  mcp: string;
  api_docs: string;
}

/** Starts `engram serve` on the host and answers its ready line, then stops it. */
async function readyLineOn(host: string, env: Record<string, string> = {}) {
  const port = await freePort();
  const api = await startEngram(
    'serve',
    { MCP_HTTP_HOST: host, MCP_HTTP_PORT: String(port), ...env },
    tempDir(),
    'Engram ready',
  );
  try {
    const line = api
      .output()
      .split('\n')
      .find((text) => text.includes('"Engram ready"'));
    const ready = JSON.parse(line!).message as ReadyLine;
    // The printed address works: the health route answers through it.
    const health = await fetch(new URL('api/health', ready.dashboard), {
      headers: env.MCP_API_KEY ? { 'x-api-key': env.MCP_API_KEY } : {},
    });
    assert.equal(health.status, 200, `${host}: ${ready.dashboard}`);
    return { port, ready };
  } finally {
    assert.equal(await api.stop(), 0);
  }
}

/**
 * The ready line names the address the server listens on and a URL that reaches it from this machine:
 * localhost for 127.0.0.1 and for every interface (said as such), the address itself otherwise, IPv6 in
 * brackets. Before, it turned any address starting 127.0.0.1 into localhost (127.0.0.12 printed
 * http://localhost2:…), gave ::1 as localhost where localhost resolves to 127.0.0.1 alone, and did not say
 * when the server listened on every interface.
 */
describe('the ready line of `engram serve`', () => {
  it('gives 127.0.0.1 as localhost', async () => {
    const { port, ready } = await readyLineOn('127.0.0.1');
    assert.equal(ready.listening, `127.0.0.1:${port}`);
    assert.equal(ready.dashboard, `http://localhost:${port}/`);
    assert.equal(ready.mcp, `http://localhost:${port}/mcp`);
    assert.equal(ready.api_docs, `http://localhost:${port}/api/docs`);
  });

  it('gives another loopback address by its number', async () => {
    const { port, ready } = await readyLineOn('127.0.0.12');
    assert.equal(ready.listening, `127.0.0.12:${port}`);
    assert.equal(ready.dashboard, `http://127.0.0.12:${port}/`);
  });

  it('gives an IPv6 address in brackets', async () => {
    const { port, ready } = await readyLineOn('::1');
    assert.equal(ready.listening, `[::1]:${port}`);
    assert.equal(ready.dashboard, `http://[::1]:${port}/`);
  });

  it('says when it listens on every interface, IPv4 or IPv6, and gives localhost to open', async () => {
    for (const host of ['0.0.0.0', '::']) {
      const { port, ready } = await readyLineOn(host, { MCP_API_KEY: API_KEY });
      const literal = host.includes(':') ? `[${host}]` : host;
      assert.equal(ready.listening, `all interfaces (${literal}:${port})`);
      assert.equal(ready.dashboard, `http://localhost:${port}/`);
      assert.equal(ready.mode, 'keyed: every request needs an API key');
    }
  });

  it('says a keyless server with anonymous access allowed is open to whoever connects', async () => {
    const { ready } = await readyLineOn('127.0.0.1', { MCP_ALLOW_ANONYMOUS_ACCESS: 'true' });
    assert.equal(ready.mode, 'keyless: open to anyone who can connect (MCP_ALLOW_ANONYMOUS_ACCESS=true)');
  });
});
