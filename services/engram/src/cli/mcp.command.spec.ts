import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitBridgeFlags } from './mcp.command';

describe('engram mcp arguments', () => {
  it('serves stdio locally without --url, passing the other flags to the configuration', () => {
    assert.deepEqual(splitBridgeFlags(['--db', 'x.db'], {}), { rest: ['--db=x.db'] });
  });

  it('bridges with --url and --api-key (both spellings), flags winning over the environment', () => {
    const { bridge, rest } = splitBridgeFlags(['--url=https://m.example.com/mcp', '--api-key', 'k1'], {
      MCP_MEMORY_API_KEY: 'k0',
    });
    assert.equal(bridge?.url.href, 'https://m.example.com/mcp');
    assert.equal(bridge?.apiKey, 'k1');
    assert.deepEqual(rest, []);
  });

  it("reads the MCP Memory Service guide's variables and maps its /api endpoint to /mcp", () => {
    const { bridge } = splitBridgeFlags([], {
      MCP_MEMORY_HTTP_ENDPOINT: 'http://server:8000/api',
      MCP_MEMORY_API_KEY: 'key',
    });
    assert.equal(bridge?.url.href, 'http://server:8000/mcp');
    assert.equal(bridge?.apiKey, 'key');
  });

  it('names bad input', () => {
    assert.match(splitBridgeFlags(['--url'], {}).problem ?? '', /--url needs a value/);
    assert.match(splitBridgeFlags(['--url', '--api-key', 'k'], {}).problem ?? '', /--url needs a value/);
    assert.match(
      splitBridgeFlags(['--uri', 'x'], {}).problem ?? '',
      /unknown option --uri; accepted: --url, --api-key/,
    );
    assert.match(splitBridgeFlags(['--url', 'not a url'], {}).problem ?? '', /is not a URL/);
    assert.match(splitBridgeFlags(['--url', 'ftp://x/mcp'], {}).problem ?? '', /must be http/);
    assert.match(splitBridgeFlags(['--api-key', 'k'], {}).problem ?? '', /--api-key needs --url/);
    assert.equal(
      splitBridgeFlags(['--url', 'https://m.example.com/mcp', '--db', 'x.db'], {}).problem,
      '--db configures the local server, not a bridge (--url)',
    );
    assert.equal(
      splitBridgeFlags(['--log-level=debug'], { MCP_MEMORY_HTTP_ENDPOINT: 'https://m.example.com/mcp' }).problem,
      '--log-level configures the local server, not a bridge (MCP_MEMORY_HTTP_ENDPOINT)',
    );
    const withPassword = splitBridgeFlags(['--url', 'https://me:pw@m.example.com/mcp'], {}).problem ?? '';
    assert.equal(
      withPassword,
      '--url must not hold a user name or password; give the key with --api-key or MCP_MEMORY_API_KEY',
    );
  });
});
