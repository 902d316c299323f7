import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inheritedEnv, ROOT } from './process-harness';
import { after, before, describe, it } from 'node:test';
import { API_KEY, assertAgentProgress, callTool, CLI, mcpClients, McpFixture, startMcpFixture } from './mcp-fixture';

const INSPECTOR = join(
  ROOT,
  'node_modules',
  '@modelcontextprotocol',
  'inspector',
  'clients',
  'launcher',
  'build',
  'index.js',
);
const MCP_REMOTE = join(ROOT, 'node_modules', 'mcp-remote', 'dist', 'proxy.js');
const run = promisify(execFile);

describe('Third-party MCP clients: the MCP Inspector CLI and mcp-remote, both protocol eras', () => {
  let fixture: McpFixture;
  before(async () => {
    fixture = await startMcpFixture();
  });
  after(() => fixture.stop());

  for (const era of ['legacy', 'modern'] as const) {
    it(`works with the MCP Inspector CLI over HTTP and through the bridge (${era} era), with portable tool schemas`, async () => {
      const inspectorEnv = {
        ...process.env,
        HOME: fixture.dir,
        MCP_CATALOG_PATH: join(fixture.dir, `inspector-${era}.json`),
      };
      const inspect = (target: string[], method: string[]) =>
        run(
          process.execPath,
          [INSPECTOR, '--cli', '--protocol-era', era, '--connect-timeout', '60000', ...target, ...method],
          {
            env: inspectorEnv,
            timeout: 60_000,
          },
        );
      const http = [`${fixture.api.url}/mcp`, '--transport', 'http', '--header', `Authorization: Bearer ${API_KEY}`];

      const listed = await inspect(http, ['--method', 'tools/list', '--strict']);
      assert.ok(JSON.parse(listed.stdout).tools.some((tool: { name: string }) => tool.name === 'memory_store'));
      assert.doesNotMatch(listed.stderr, /portability|Warning:|Error:/, listed.stderr);

      const stored = await inspect(http, [
        '--method',
        'tools/call',
        '--tool-name',
        'memory_store',
        '--tool-arg',
        `content=Stored by the MCP Inspector (${era})`,
      ]);
      assert.equal(JSON.parse(stored.stdout).structuredContent.created, true);

      // The Inspector exits 5 when a tool answers isError: true.
      await assert.rejects(
        inspect(http, ['--method', 'tools/call', '--tool-name', 'memory_get', '--tool-arg', 'content_hash=abc']),
        (error: { code: number; stdout: string; stderr: string }) =>
          error.code === 5 && /tool_is_error/.test(error.stdout + error.stderr),
      );

      const resource = await inspect(http, ['--method', 'resources/read', '--uri', 'memory://stats']);
      assert.match(JSON.parse(resource.stdout).contents[0].text, /total_memories/);

      const bridged = await inspect(
        [process.execPath, CLI, 'mcp', '--url', `${fixture.api.url}/mcp`, '--api-key', API_KEY],
        ['--method', 'tools/list'],
      );
      assert.ok(JSON.parse(bridged.stdout).tools.some((tool: { name: string }) => tool.name === 'fetch'));

      await assert.rejects(
        run(
          process.execPath,
          [
            INSPECTOR,
            '--cli',
            `${fixture.api.url}/mcp`,
            '--transport',
            'http',
            '--protocol-era',
            era,
            '--method',
            'tools/list',
          ],
          {
            env: inspectorEnv,
            timeout: 60_000,
          },
        ),
        /401|Unauthorized|auth_required/i,
      );
    });
  }

  for (const protocol of ['legacy', 'auto'] as const) {
    it(`works through mcp-remote with an API key header (--protocol ${protocol}), no browser involved`, async () => {
      const connected = await mcpClients.connectStdioClient('sdk-v1', {
        command: process.execPath,
        args: [
          MCP_REMOTE,
          `${fixture.api.url}/mcp`,
          '--header',
          `Authorization:Bearer ${API_KEY}`,
          '--protocol',
          protocol,
        ],
        env: { ...inheritedEnv(), HOME: fixture.dir, BROWSER: 'false' },
      });
      try {
        const stored = await callTool(connected.client, 'memory_store', {
          content: `Stored through mcp-remote (${protocol})`,
          tags: ['mcp-remote'],
        });
        assert.equal(stored.structured.created, true);
        const found = await callTool(connected.client, 'memory_list', { tags: ['mcp-remote'] });
        assert.ok(found.structured.total >= 1);
        const stats = await connected.client.readResource({ uri: 'memory://stats' });
        assert.match(stats.contents[0].text, /total_memories/);
        const invalid = await callTool(connected.client, 'memory_search', { query: 'x', limit: 1000 });
        assert.equal(invalid.isError, true);
        await assertAgentProgress(connected);
      } finally {
        await connected.client.close();
      }
    });
  }
});
