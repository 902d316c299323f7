import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Browser, chromium, Page } from 'playwright-core';
import { RunningEngram, serviceHelper, startEngram } from './engram-cli';
import { call, ROOT, tempDir } from './process-harness';

const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');

const API_KEY = 'e2e-dashboard-key-0123456789abcdef';
const AUTH = { 'X-API-Key': API_KEY };
const ARTIFACTS = join(ROOT, 'test', 'artifacts');

/** Debian's chromium (TOOLING.md): never a downloaded browser. */
function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

describe('the dashboard in a real browser (chromium, real api process)', () => {
  const dir = tempDir();
  let model: any;
  let api: RunningEngram;
  let browser: Browser;
  let page: Page;
  const requested: string[] = [];
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });
  const card = (text: string) => page.locator('memory-card', { hasText: text });

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    model = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'dashboard-model' });
    api = await startEngram(
      'serve',
      {
        MCP_API_KEY: API_KEY,
        MCP_MEMORY_SQLITE_PATH: join(dir, 'engram.db'),
        ENGRAM_EMBEDDING_PROVIDER: 'openai',
        MCP_EXTERNAL_EMBEDDING_URL: model.url,
        MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
      },
      dir,
      'Engram ready',
    );
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('request', (request) => requested.push(request.url()));
  });
  after(async () => {
    await browser?.close();
    await api?.stop();
    await model?.close();
  });

  it('asks for the key, refuses a wrong one, and signs in with the right one', async () => {
    await page.goto(api.url);
    await page.getByLabel('API key').fill('not-the-key-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'refused' }).waitFor();
    await shot('1-key-prompt');
    await page.getByLabel('API key').fill(API_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.locator('[data-stat="stat-health"] dd', { hasText: 'Ready' }).waitFor();
    assert.match(await page.locator('.stats').innerText(), /dashboard-model/);
    await page.locator('.live', { hasText: 'Live' }).waitFor();
    await shot('2-overview');
    assert.equal(await page.evaluate("sessionStorage.getItem('engram.apiKey')"), API_KEY);
  });

  it('creates a memory through the form and shows it in the list', async () => {
    await page.getByRole('link', { name: 'Memories' }).click();
    await page.getByRole('button', { name: 'New memory' }).click();
    const dialog = page.getByRole('dialog', { name: 'New memory' });
    await dialog.getByLabel('Content').fill('The boiler is serviced every October by Acme Heating');
    await dialog.getByLabel('Tags').fill('home, maintenance');
    await dialog.getByLabel('Type').fill('fact');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.waitFor({ state: 'detached' });
    const created = card('The boiler is serviced every October');
    await created.waitFor();
    assert.match(await created.innerText(), /fact[\s\S]*home[\s\S]*maintenance/);
    const stored = await call(api.url, 'POST', '/api/search', { query: 'boiler', mode: 'keyword' }, AUTH);
    assert.equal(stored.body.results[0].memory.memory_type, 'fact');
  });

  it('shows a memory stored through REST within 1 s, without a reload', async () => {
    await page.evaluate('window.notReloaded = true');
    await page.locator('.live', { hasText: 'Live' }).waitFor();
    const stored = await call(
      api.url,
      'POST',
      '/api/memories',
      { content: 'Written by curl: the VPN certificate expires in May', tags: ['it'] },
      AUTH,
    );
    assert.equal(stored.status, 201);
    const acknowledged = Date.now();
    await card('the VPN certificate expires in May').waitFor({ timeout: 1000 });
    const shownAfterMs = Date.now() - acknowledged;
    assert.equal(await page.evaluate('window.notReloaded'), true, 'the page was not reloaded');
    await shot('3-memories-live');
    await page.getByRole('link', { name: 'Activity' }).click();
    await page.locator('.activity li', { hasText: 'the VPN certificate expires in May' }).waitFor();
    assert.ok(shownAfterMs <= 1000, `appeared after ${shownAfterMs} ms`);
    await shot('4-activity');
  });

  it('searches with filters and shows the scores', async () => {
    await page.getByRole('link', { name: 'Search' }).click();
    const form = page.getByRole('search');
    await form.getByLabel('Query').fill('boiler October');
    await form.getByLabel('Tags').fill('home');
    await form.getByLabel('When').fill('last 30 days');
    await form.getByRole('button', { name: 'Search' }).click();
    const hit = card('The boiler is serviced every October');
    await hit.waitFor();
    assert.match(await hit.locator('.scores').innerText(), /score \d\.\d{3} · cosine -?\d\.\d{3} · BM25 \d+\.\d{3}/);
    assert.equal(await card('VPN certificate').count(), 0, 'the tag filter applies');
    assert.equal(await form.getByLabel('Min. score').inputValue(), '0.01', "the server's default floor");
    await shot('5-search');
    await form.getByLabel('Tags').fill('');
    await form.getByLabel('Query').fill('zebra migration across the savanna');
    await form.getByRole('button', { name: 'Search' }).click();
    await page.locator('.empty', { hasText: 'Nothing found scoring 0.01 or more' }).waitFor();
    await form.getByLabel('Min. score').fill('0');
    await form.getByRole('button', { name: 'Search' }).click();
    await card('The boiler is serviced every October').waitFor();
    await form.getByLabel('When').fill('next fortnight maybe');
    await form.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('alert').filter({ hasText: 'next fortnight maybe' }).waitFor();
  });

  it('edits tags and deletes a memory after confirmation', async () => {
    await page.getByRole('link', { name: 'Memories' }).click();
    await card('VPN certificate').getByRole('button', { name: /^Edit/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit memory' });
    await dialog.getByLabel('Tags').fill('it, security');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await card('VPN certificate').locator('.tag', { hasText: 'security' }).waitFor();

    await card('VPN certificate')
      .getByRole('button', { name: /^Delete/ })
      .click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete this memory?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await card('VPN certificate').count(), 1, 'cancel keeps the memory');
    await card('VPN certificate')
      .getByRole('button', { name: /^Delete/ })
      .click();
    await shot('6-confirm-delete');
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await card('VPN certificate').waitFor({ state: 'detached' });
    const left = await call(api.url, 'GET', '/api/memories', undefined, AUTH);
    assert.deepEqual(
      left.body.memories.map((memory: any) => memory.content),
      ['The boiler is serviced every October by Acme Heating'],
    );
  });

  it('works from the keyboard alone', async () => {
    await page.getByRole('link', { name: 'Memories' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'New memory' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'New memory' });
    await dialog.waitFor();
    assert.equal(await page.evaluate('document.activeElement?.id'), 'memory-content', 'focus moves into the dialog');
    await page.keyboard.type('typed without a mouse');
    await page.keyboard.press('Tab');
    await page.keyboard.type('keyboard');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await card('typed without a mouse').count(), 0, 'Escape cancels');
  });

  it('opens one memory from a #/memory/<hash> link (where MCP search/fetch results point)', async () => {
    const [memory] = (await call(api.url, 'GET', '/api/memories?page_size=1', undefined, AUTH)).body.memories;
    await page.goto(`${api.url}/#/memory/${memory.content_hash}`);
    await page.getByRole('heading', { name: 'Memory', exact: true }).waitFor();
    await card(memory.content).waitFor();
    await page.goto(`${api.url}/#/memory/${'0'.repeat(64)}`);
    await page.getByRole('alert').filter({ hasText: 'No memory with content_hash' }).waitFor();
  });

  it('creates an API key (secret shown once), lists it and revokes it', async () => {
    await page.getByRole('link', { name: 'Access' }).click();
    await page.getByLabel('Name', { exact: true }).fill('ci pipeline');
    await page.getByLabel('write').check();
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = await page.locator('.created-key .secret').innerText();
    assert.match(secret, /^egk_/);
    const entry = page.locator('.key-list li', { hasText: 'ci pipeline' });
    await entry.waitFor();
    assert.match(await entry.innerText(), /read[\s\S]*write/);
    assert.equal((await call(api.url, 'GET', '/api/memories', undefined, { 'X-API-Key': secret })).status, 200);
    await shot('9-access');
    page.once('dialog', (dialog) => void dialog.accept());
    await entry.getByRole('button', { name: 'Revoke ci pipeline' }).click();
    await entry.locator('.revoked').waitFor();
    assert.equal((await call(api.url, 'GET', '/api/memories', undefined, { 'X-API-Key': secret })).status, 401);
  });

  it('fits a phone screen, and every request stays on the server (no CDN)', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'Memories' }).click();
    await card('The boiler').waitFor();
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than the phone`);
    assert.ok(await page.getByRole('link', { name: 'Agent' }).isVisible());
    await shot('7-phone');
    await page.getByRole('link', { name: 'Jobs & backups' }).click();
    await page.getByRole('heading', { name: 'Jobs & backups' }).waitFor();
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole('link', { name: 'Agent' }).click();
    await page.getByRole('heading', { name: 'Agent' }).waitFor();
    await shot('8-agent-placeholder');
    const foreign = requested.filter((url) => !url.startsWith(api.url) && !url.startsWith('data:'));
    assert.deepEqual(foreign, []);
  });
});
