import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Browser, Page } from 'playwright-core';
import { launchChromium, signInToDashboard } from './browser';
import { RunningEngram, serviceHelper, startEngram } from './engram-cli';
import { call, freePort, tempDir } from './process-harness';

const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');

const API_KEY = 'e2e-outage-key-0123456789abcdef';
const AUTH = { 'X-API-Key': API_KEY };

describe('the dashboard while its server is away, and after it is back (chromium, real api process)', () => {
  const dir = tempDir();
  let model: any;
  let api: RunningEngram;
  let env: Record<string, string>;
  let browser: Browser;
  let page: Page;
  const card = (text: string) => page.locator('memory-card', { hasText: text });
  const nav = (label: string) => page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: label });
  /** The same port and database, so the page's address and its data are as before. */
  const startApi = () => startEngram('serve', env, dir, 'Engram ready');

  before(async () => {
    model = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'outage-model' });
    env = {
      MCP_API_KEY: API_KEY,
      MCP_HTTP_PORT: String(await freePort()),
      MCP_MEMORY_SQLITE_PATH: join(dir, 'engram.db'),
      ENGRAM_EMBEDDING_PROVIDER: 'openai',
      MCP_EXTERNAL_EMBEDDING_URL: model.url,
      MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
    };
    api = await startApi();
    await call(api.url, 'POST', '/api/memories', { content: 'The gate code is 4711' }, AUTH);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await signInToDashboard(page, api.url, API_KEY);
  });
  after(async () => {
    await browser?.close();
    await api?.stop();
    await model?.close();
  });

  it('a delete that fails says why in its dialog, which stays open, and not as "Failed to fetch"', async () => {
    await nav('Memories').click();
    await card('The gate code is 4711').waitFor();
    await api.stop();
    await page.locator('.live', { hasText: 'Offline' }).waitFor();
    await card('The gate code is 4711')
      .getByRole('button', { name: /^Delete/ })
      .click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete this memory?' });
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await confirm.getByRole('alert').filter({ hasText: 'Not deleted: Cannot reach the Engram server' }).waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    assert.equal(await card('The gate code is 4711').count(), 1);
  });

  it('the Access panel says it cannot reach the server instead of "Loading…" for ever', async () => {
    await nav('Access').click();
    await page.locator('main .error', { hasText: 'Cannot reach the Engram server' }).first().waitFor();
    await page.locator('audit-log .error', { hasText: 'Cannot reach the Engram server' }).waitFor();
    assert.equal(await page.locator('main [aria-busy="true"]').count(), 0, 'nothing says "Loading…"');
    assert.ok(!(await page.locator('main').innerText()).includes('Failed to fetch'));
  });

  it('once the server is back and the stream is live again, the open panel reloads by itself', async () => {
    api = await startApi();
    await page.locator('.live', { hasText: 'Live' }).waitFor({ timeout: 15_000 });
    await page.locator('audit-log table.audit-table, audit-log .empty').first().waitFor();
    await page.locator('.key-list, main .empty').first().waitFor();
    assert.equal(await page.locator('main .error').count(), 0, 'no error is left from the outage');
  });

  it('a sign-in that gets no answer keeps the saved key, and the next reload signs in without asking', async () => {
    // The page loads, but the sign-in's first call finds no server (it went away in between).
    await page.route('**/api/auth/whoami', (route) => route.abort('connectionrefused'));
    await page.reload();
    await page.getByText('Cannot reach the Engram server').first().waitFor();
    assert.equal(await page.evaluate("sessionStorage.getItem('engram.apiKey')"), API_KEY, 'the key is kept');
    await page.unroute('**/api/auth/whoami');
    await page.reload();
    await page.locator('.live', { hasText: 'Live' }).waitFor({ timeout: 15_000 });
    assert.equal(await page.getByLabel('API key').count(), 0, 'no key was asked for');
  });
});
