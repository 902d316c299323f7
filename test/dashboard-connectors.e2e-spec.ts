import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Browser, Dialog, Page } from 'playwright-core';
import { assertAccessible, contextWithAxe } from './accessibility';
import { launchChromium, signInToDashboard } from './browser';
import { RunningEngram, serviceHelper, startEngram } from './engram-cli';
import { call, freePort, tempDir } from './process-harness';

const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');

const API_KEY = 'e2e-connectors-key-0123456789abcdef';
const AUTH = { 'X-API-Key': API_KEY };

/** The Access panel's OAuth connectors, on a server with OAuth on and open registration. */
describe('the dashboard cuts off an OAuth connector after a confirmation in the page (chromium, real api)', () => {
  const dir = tempDir();
  let model: any;
  let api: RunningEngram;
  let browser: Browser;
  let page: Page;

  before(async () => {
    model = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'connectors-model' });
    const port = await freePort();
    api = await startEngram(
      'serve',
      {
        MCP_HTTP_PORT: String(port),
        MCP_API_KEY: API_KEY,
        MCP_MEMORY_SQLITE_PATH: join(dir, 'engram.db'),
        ENGRAM_EMBEDDING_PROVIDER: 'openai',
        MCP_EXTERNAL_EMBEDDING_URL: model.url,
        MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
        ENGRAM_OAUTH_ENABLED: 'true',
        ENGRAM_OAUTH_OPEN_REGISTRATION: 'true',
        ENGRAM_PUBLIC_URL: `http://127.0.0.1:${port}`,
      },
      dir,
      'Engram ready',
    );
    browser = await launchChromium();
    page = await (await contextWithAxe(browser)).newPage();
  });
  after(async () => {
    await browser?.close();
    await api?.stop();
    await model?.close();
  });

  it('asks in an alert dialog (Escape cancels, the focus back on Revoke), never with confirm(), then cuts it off', async () => {
    const registered = await call(api.url, 'POST', '/oauth/register', {
      client_name: 'Notes connector',
      redirect_uris: ['https://connector.example.com/callback'],
    });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    const revokes = async () =>
      (await call(api.url, 'GET', '/api/admin/audit?action=oauth.revoke', undefined, AUTH)).body.events.length;
    const nativeDialogs: string[] = [];
    page.on('dialog', (dialog: Dialog) => {
      nativeDialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await signInToDashboard(page, api.url, API_KEY);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Access' }).click();
    const revoke = page.locator('.key-list li', { hasText: 'Notes connector' }).getByRole('button', { name: 'Revoke' });
    const confirm = page.getByRole('alertdialog', { name: 'Cut off this connector?' });

    await revoke.click();
    await confirm.waitFor();
    assert.match(await confirm.innerText(), /Notes connector[\s\S]*must be approved again/);
    await assertAccessible(page, 'connector cut-off confirmation');
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate('document.activeElement?.textContent?.trim()'), 'Revoke');
    assert.equal(await revokes(), 0, 'Escape cut nothing off');

    await revoke.click();
    await confirm.getByRole('button', { name: 'Revoke' }).click();
    await confirm.waitFor({ state: 'detached' });
    assert.equal(await revokes(), 1, 'cut off once confirmed');
    assert.deepEqual(nativeDialogs, [], 'no browser confirm()');
  });
});
