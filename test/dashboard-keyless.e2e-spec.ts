import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Browser, Page } from 'playwright-core';
import { assertAccessible, contextWithAxe } from './accessibility';
import { launchChromium } from './browser';
import { serviceHelper, startEngram } from './engram-cli';
import { call, ROOT, tempDir } from './process-harness';

const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');
const { engramExport, engramExportMemory } = serviceHelper('testing/import-fixtures.js');
const { waitFor } = serviceHelper('testing/wait-for.js');

const ARTIFACTS = join(ROOT, 'test', 'artifacts');

/**
 * The dashboard on servers with no key, each on a fresh store of its own. Apart from dashboard.e2e-spec,
 * whose one server and page run through a long sequence: together they ran past the runner's 300 s per
 * file on a loaded machine.
 */
describe('the dashboard on a keyless server (chromium, real api processes)', () => {
  let model: any;
  let browser: Browser;
  const shot = (name: string, target: Page) =>
    target.screenshot({ path: join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    model = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'dashboard-model' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await model?.close();
  });

  /** A second server, with no key, on a fresh store of its own. */
  const startKeylessServer = (env: Record<string, string> = {}) => {
    const bare = tempDir();
    return startEngram(
      'serve',
      {
        MCP_MEMORY_SQLITE_PATH: join(bare, 'engram.db'),
        ENGRAM_EMBEDDING_PROVIDER: 'openai',
        MCP_EXTERNAL_EMBEDDING_URL: model.url,
        MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
        ...env,
      },
      bare,
      'Engram ready',
    );
  };

  it('on a keyless server, warns that the first key makes every request need one, and signs in with it there', async () => {
    const keyless = await startKeylessServer();
    const other = await (await contextWithAxe(browser)).newPage();
    try {
      await other.goto(`${keyless.url}/#/access`);
      const form = other.locator('.key-form');
      await form.getByText('This server has no key yet').waitFor();
      await form.getByLabel('Name', { exact: true }).fill('first key');
      // The scopes take no click until the form knows the key is the server's first (a later case holds that);
      // then admin is already ticked, and checking it is what a person who wants an admin key does.
      await form.getByLabel('admin', { exact: true }).check();
      await form.getByRole('button', { name: 'Create key' }).click();
      const created = other.locator('.created-key');
      await created.getByText('This server now requires a key').waitFor();
      const secret = await created.locator('.secret').innerText();
      await other.locator('.key-list li', { hasText: 'first key' }).waitFor();
      await assertAccessible(other, 'first key created');
      await shot('20-first-key', other);
      await created.getByRole('button', { name: 'Sign in with this key' }).click();
      await other.locator('[data-caller]', { hasText: 'signed in as first key' }).waitFor();
      assert.equal(await other.evaluate("sessionStorage.getItem('engram.apiKey')"), secret);
      await other.locator('.key-list li', { hasText: 'first key' }).waitFor();
      await other.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Memories' }).click();
      await other.locator('main .empty').first().waitFor();
      assert.equal(await other.getByRole('alert').count(), 0, 'no panel is refused');
      assert.ok(await other.getByRole('button', { name: 'Sign out' }).isVisible());
    } finally {
      await other.close();
      await keyless.stop();
    }
  });

  it('on a keyless server, the form as it starts makes the first key an admin key, and the sign-in page says where keys come from', async () => {
    const keyless = await startKeylessServer();
    const context = await contextWithAxe(browser);
    const other = await context.newPage();
    try {
      await other.goto(`${keyless.url}/#/access`);
      const form = other.locator('.key-form');
      await form.getByText('the first key must be an admin key bound to no namespace').waitFor();
      // A new user types a name and nothing else: the server takes only an admin key as its first.
      await form.getByLabel('Name', { exact: true }).fill('me');
      await form.getByRole('button', { name: 'Create key' }).click();
      await other.locator('.created-key, .key-form .error').first().waitFor();
      assert.equal(await form.locator('.error').count(), 0, 'the first key is refused');
      const listed = other.locator('.key-list li', { hasText: 'me' });
      assert.deepEqual(await listed.locator('.tag').allInnerTexts(), ['read', 'write', 'admin']);

      const fresh = await context.newPage();
      await fresh.goto(keyless.url);
      await fresh.locator('#api-key').waitFor();
      assert.match(await fresh.locator('.login').innerText(), /Access page or with engram keys create/);
      await fresh.close();
    } finally {
      await other.close();
      await keyless.stop();
    }
  });

  it('on a keyless server, the key form takes no scopes until the key list says the key is the first, and keeps the choice made then', async () => {
    const keyless = await startKeylessServer();
    const other = await (await contextWithAxe(browser)).newPage();
    const form = other.locator('.key-form');
    const box = (scope: string) => form.getByLabel(scope, { exact: true });
    const ticked = async () => {
      const scopes = [];
      for (const scope of ['read', 'write', 'admin']) if (await box(scope).isChecked()) scopes.push(scope);
      return scopes;
    };
    // The key list is held back until the case lets it through, and the one read after that fails.
    let listAsked!: () => void;
    const asked = new Promise<void>((resolve) => (listAsked = resolve));
    let letListThrough!: () => void;
    const released = new Promise<void>((resolve) => (letListThrough = resolve));
    let lists = 0;
    await other.route('**/api/admin/keys', async (route) => {
      if (route.request().method() !== 'GET') return route.continue();
      lists++;
      if (lists === 2) {
        return route.fulfill({
          status: 503,
          contentType: 'application/json',
          body: '{"message":"Key list held back"}',
        });
      }
      listAsked();
      await released;
      return route.continue();
    });
    try {
      await other.goto(`${keyless.url}/#/access`);
      await asked;
      await form.getByLabel('Name', { exact: true }).fill('first key');
      for (const scope of ['read', 'write', 'admin']) assert.ok(await box(scope).isDisabled(), `${scope} waits`);
      assert.ok(await form.getByRole('button', { name: 'Create key' }).isDisabled(), 'nothing can be created yet');
      assert.ok(await form.locator('[aria-busy="true"]', { hasText: 'Loading…' }).isVisible());
      await box('admin').click({ force: true }); // a click while the list is on its way changes nothing
      assert.deepEqual(await ticked(), ['read']);

      letListThrough();
      await waitFor(() => box('admin').isEnabled(), 'the scopes to open');
      assert.deepEqual(await ticked(), ['read', 'write', 'admin'], 'the first key starts as an admin key');
      assert.equal(await form.locator('[aria-busy="true"]').count(), 0);
      await box('write').uncheck();

      // A memory change reloads the panel; that read of the key list fails, and the choice stays as it was.
      await other.locator('.live', { hasText: 'Live' }).waitFor({ timeout: 15_000 });
      await call(keyless.url, 'POST', '/api/memories', { content: 'Stored while the key form was filled in' });
      await other.locator('.card .error', { hasText: 'Key list held back' }).waitFor();
      assert.deepEqual(await ticked(), ['read', 'admin'], 'the failed reload ticked nothing anew');
      assert.ok(await box('admin').isEnabled(), 'the form stays usable');

      // A refused key leaves the choice too; then the key is made as chosen.
      await form.getByLabel(/^Namespace/).fill('team');
      await form.getByRole('button', { name: 'Create key' }).click();
      await form.locator('.error', { hasText: 'first stored key' }).waitFor();
      assert.deepEqual(await ticked(), ['read', 'admin'], 'the refusal ticked nothing anew');
      await form.getByLabel(/^Namespace/).fill('');
      await form.getByRole('button', { name: 'Create key' }).click();
      const listed = other.locator('.key-list li', { hasText: 'first key' });
      await listed.waitFor();
      assert.deepEqual(await listed.locator('.tag').allInnerTexts(), ['read', 'admin']);
      assert.deepEqual(await ticked(), ['read'], 'the form starts the next key with read alone');
      await assertAccessible(other, 'key form after a failed reload');
    } finally {
      await other.close();
      await keyless.stop();
    }
  });

  it("keeps privacy rules typed and not yet saved through a reload that brings another tab's rules, and saves them", async () => {
    const keyless = await startKeylessServer();
    const other = await (await contextWithAxe(browser)).newPage();
    const typed = '- never tell the gate code\n';
    const rules = other.getByLabel('Filter rules');
    try {
      await other.goto(`${keyless.url}/#/agent`);
      await rules.waitFor();
      await other.locator('.live', { hasText: 'Live' }).waitFor({ timeout: 15_000 });
      await rules.fill(typed);
      // Another tab saves its rules, which reloads this panel; the file written after them marks that reload.
      await call(keyless.url, 'PUT', '/api/agent/files/.filters', { content: '- saved in another tab\n' });
      await call(keyless.url, 'PUT', '/api/agent/files/reloaded.md', { content: '# Written after the rules\n' });
      await call(keyless.url, 'POST', '/api/memories', { content: 'Stored while the rules were typed' });
      await other.locator('.file-list a', { hasText: 'reloaded.md' }).waitFor();
      assert.equal(await rules.inputValue(), typed, 'the typed rules are still there');

      await other.locator('.filters-form').getByRole('button', { name: 'Save filters' }).click();
      await other.locator('.filters-form [role="status"]', { hasText: 'Saved' }).waitFor();
      assert.equal((await call(keyless.url, 'GET', '/api/agent/files/.filters')).body.content, typed);
      // Saved, the form follows the stored rules again.
      await call(keyless.url, 'PUT', '/api/agent/files/.filters', { content: '- changed later\n' });
      await waitFor(
        async () => (await rules.inputValue()) === '- changed later\n',
        'the form to show the stored rules',
      );
    } finally {
      await other.close();
      await keyless.stop();
    }
  });

  it('keeps memory changes in the activity feed through long jobs: each job is one line, showing its progress, then its end', async () => {
    // One item per stored batch: each import of 250 items reports progress 250 times.
    const server = await startKeylessServer({ ENGRAM_MAX_BATCH_ITEMS: '1' });
    const other = await (await contextWithAxe(browser)).newPage();
    const importLongFile = async () => {
      const lines = Array.from({ length: 250 }, () => engramExportMemory('One line exported 250 times'));
      const form = new FormData();
      form.append('file', new Blob([engramExport(lines)]), 'export.ndjson');
      const response = await fetch(`${server.url}/api/import`, { method: 'POST', body: form });
      const queued = (await response.json()) as { job_id: string };
      await waitFor(
        async () => (await call(server.url, 'GET', `/api/import/${queued.job_id}`)).body.state === 'completed',
        'the import to complete',
        120_000, // 250 batches: seconds on a quiet machine, past 30 s on a loaded one
      );
      return String(queued.job_id);
    };
    try {
      await call(server.url, 'POST', '/api/memories', { content: 'Noted before the imports: the gate code is 4471' });
      const first = await importLongFile();
      const kept = (await call(server.url, 'GET', '/api/events/recent?limit=500')).body.events;
      const reports = kept.filter((event: { type: string }) => event.type === 'job_progress').length;
      assert.equal(reports, 0, 'progress is sent live, never kept for the history');

      await other.goto(`${server.url}/#/activity`);
      const feed = other.locator('.activity li');
      const note = feed.filter({ hasText: 'the gate code is 4471' });
      await note.waitFor();
      const firstJob = other.locator(`.activity li[data-job="${first}"]`);
      assert.equal(await firstJob.count(), 1, 'queued, progress and end are one line');
      assert.match(await firstJob.innerText(), /job completed\s+Import · 1 stored, 249 duplicates, 0 failed/);

      // Live: what the job's line showed while a second import ran, and how many lines it had.
      await other.evaluate(`(() => {
        window.jobLines = { running: [], most: 0 };
        new MutationObserver(() => {
          const lines = [...document.querySelectorAll('.activity li[data-job]')].filter((line) => line.dataset.job !== ${JSON.stringify(first)});
          window.jobLines.most = Math.max(window.jobLines.most, lines.length);
          for (const line of lines) if (line.classList.contains('job-running')) window.jobLines.running.push(line.innerText);
        }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
      })()`);
      const second = await importLongFile();
      const secondJob = other.locator(`.activity li[data-job="${second}"]`);
      await secondJob.filter({ hasText: 'job completed' }).waitFor();
      const seen = await other.evaluate<{ running: string[]; most: number }>('window.jobLines');
      assert.equal(seen.most, 1, 'the running job stayed one line');
      assert.ok(
        seen.running.some((text) => /job running\s+Import · \d+% — stored \d+ of 250 memories/.test(text)),
        `the running line showed its progress: ${seen.running.slice(-3).join(' | ')}`,
      );
      assert.equal(await note.count(), 1, 'the memory change is still in the feed');
      const jobs = await other
        .locator('.activity li[data-job]')
        .evaluateAll((lines) => lines.map((line) => line.getAttribute('data-job')));
      assert.deepEqual(jobs, [...new Set(jobs)], 'one line per job');
      assert.ok((await feed.count()) < 10, `${await feed.count()} lines: no line per progress report`);
      await assertAccessible(other, 'activity with long jobs');
      await shot('14-activity-jobs', other);
    } finally {
      await other.close();
      await server.stop();
    }
  });

  it('says what to configure when the agent has no model endpoint (a second, keyless server)', async () => {
    const keyless = await startKeylessServer();
    const other = await (await contextWithAxe(browser)).newPage();
    try {
      await other.goto(`${keyless.url}/#/agent`);
      const panel = other.locator('[data-agent-unconfigured]');
      await panel.waitFor();
      assert.match(await panel.innerText(), /VLLM_HOST[\s\S]*ENGRAM_AGENT_BASE_URL[\s\S]*OPENROUTER_API_KEY/);
      assert.equal(await other.locator('[data-caller]').innerText(), 'no key (this machine only) · namespace default');
      await assertAccessible(other, 'agent without a model endpoint');
      await shot('16-agent-unconfigured', other);
    } finally {
      await other.close();
      await keyless.stop();
    }
  });
});
