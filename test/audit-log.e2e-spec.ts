import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Browser } from 'playwright-core';
import { launchChromium } from './browser';
import { RunningEngram, runEngram, serviceHelper, startEngram } from './engram-cli';
import { call, ROOT, tempDir } from './process-harness';

const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');

const API_KEY = 'e2e-audit-key-0123456789abcdef';
const ARTIFACTS = join(ROOT, 'test', 'artifacts');

describe('the audit log from the CLI and the dashboard (real processes, real browser)', () => {
  const dir = tempDir();
  const db = join(dir, 'engram.db');
  let model: any;
  let api: RunningEngram;
  let browser: Browser | undefined;

  // The operator's shell has the server's bootstrap key, as the first-key rule expects.
  const engram = (...args: string[]) => runEngram([...args, '--db', db], { MCP_API_KEY: API_KEY }, dir);

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    model = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'audit-model' });
    api = await startEngram(
      'serve',
      {
        MCP_API_KEY: API_KEY,
        MCP_MEMORY_SQLITE_PATH: db,
        ENGRAM_EMBEDDING_PROVIDER: 'openai',
        MCP_EXTERNAL_EMBEDDING_URL: model.url,
        MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
      },
      dir,
      'Engram ready',
    );
  });
  after(async () => {
    await browser?.close();
    await api?.stop();
    await model?.close();
  });

  it('engram audit prints the log as a table or as JSON, filtered, and names a bad filter', async () => {
    const created = await engram('keys', 'create', '--name', 'from the shell', '--scopes', 'read');
    assert.equal(created.code, 0, created.stderr);
    const viaApi = await call(
      api.url,
      'POST',
      '/api/admin/keys',
      { name: 'from the api', scopes: ['write'] },
      { 'X-API-Key': API_KEY },
    );
    assert.equal(viaApi.status, 201);

    const table = await engram('audit');
    assert.equal(table.code, 0, table.stderr);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    assert.match(header, /^TIME\s+ACTION\s+OUTCOME\s+PRINCIPAL\s+NAMESPACE\s+ADDRESS\s+TARGET$/);
    assert.equal(rows.length, 2);
    assert.match(rows[0], /key\.create\s+success\s+bootstrap:MCP_API_KEY\s+\*\s+127\.0\.0\.1\s+[0-9a-f-]{36}$/);
    assert.match(rows[1], /key\.create\s+success\s+local:local\s+\*\s+local\s+[0-9a-f-]{36}$/);

    const json = await engram('audit', '--action', 'key.create', '--limit', '1', '--json');
    const page = JSON.parse(json.stdout);
    assert.equal(page.events.length, 1);
    assert.equal(page.events[0].details.name, 'from the api');
    assert.ok(page.next_cursor);
    const older = JSON.parse((await engram('audit', '--json', '--cursor', String(page.next_cursor))).stdout);
    assert.equal(older.events[0].details.name, 'from the shell');
    assert.ok(!json.stdout.includes(viaApi.body.key), 'the secret is in the audit log');

    const bad = await engram('audit', '--action', 'everything');
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /--action/);
  });

  it('shows the log in the Access panel and filters it by action', async () => {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(api.url);
    await page.getByLabel('API key').fill(API_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Access' }).click();
    const rows = page.locator('.audit-table tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 2);
    assert.match(await rows.first().innerText(), /key\.create[\s\S]*success[\s\S]*MCP_API_KEY/);

    const entry = page.locator('.key-list li', { hasText: 'from the api' });
    await entry.getByRole('button', { name: 'Revoke from the api' }).click();
    await page.getByRole('alertdialog', { name: 'Revoke this key?' }).getByRole('button', { name: 'Revoke' }).click();
    await entry.locator('.revoked').waitFor();
    await page.getByLabel('Action').selectOption('key.revoke');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.locator('.audit-table tbody tr', { hasText: 'key.revoke' }).waitFor();
    assert.equal(await rows.count(), 1);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-audit-log.png'), fullPage: true });
  });
});
