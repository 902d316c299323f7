import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { Browser, Page } from 'playwright-core';
import { contextWithAxe } from './accessibility';
import { launchChromium } from './browser';
import { RunningEngram, serviceHelper, startEngram } from './engram-cli';
import { ROOT, tempDir } from './process-harness';

const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');
const { startMemAgentTestDouble, act, answer } = serviceHelper('testing/mem-agent.test-double.js');

export const API_KEY = 'e2e-dashboard-key-0123456789abcdef';
export const AUTH = { 'X-API-Key': API_KEY };
const ARTIFACTS = join(ROOT, 'test', 'artifacts');

const USER_MD =
  '# User Information\n- name: Alex Rivera\n- city: Lisbon\n\n## Relationships\n- **Employer**: Acme Corp [[entities/acme_corp.md]]\n';
const ACME_MD = '# Acme Corp\n- industry: logistics\n- **Employee**: Alex Rivera [[user.md]]\n';

/** The scripted mem-agent model: one question that reads user.md and moves the user to Porto. */
const AGENT_SCENARIOS = [
  {
    question: 'I moved to Porto',
    turns: [
      act('The user moved. Read user.md first.', 'user_md = read_file("user.md")'),
      act('Update the city.', 'moved = update_file("user.md", "- city: Lisbon", "- city: Porto")'),
      answer('Done.', 'Noted: you live in Porto now.'),
    ],
  },
];

/**
 * The api process (keyed, SQLite, memory files, the embedding and mem-agent doubles) and the browser page
 * a dashboard spec runs through, started and stopped by the before and after hooks it registers in the
 * describe that calls it. Each spec file has its own, so the files run side by side, each well under the
 * runner's 300 s per file on a loaded machine.
 */
export function dashboardSession() {
  const dir = tempDir();
  const session = {
    dir,
    memoryRoot: join(dir, 'memory', 'default'),
    api: undefined as unknown as RunningEngram,
    browser: undefined as unknown as Browser,
    page: undefined as unknown as Page,
    agentModel: undefined as any,
    /** Every URL the recorded pages requested, and the headers of their event stream requests. */
    requested: [] as string[],
    streams: [] as Record<string, string>[],
    shot: (name: string, target?: Page) =>
      (target ?? session.page).screenshot({ path: join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true }),
    /** The focused control, by its label or text. */
    focused: () =>
      session.page.evaluate<string>(
        "document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent?.trim() ?? ''",
      ),
    nav: (label: string) =>
      session.page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: label }),
    /** The Jobs panel, read again (through another panel, as a visit does). */
    openJobs: async () => {
      await session.nav('Memories').click();
      await session.nav('Jobs & backups').click();
    },
    /**
     * Waits for a line of the job history. A backup, restore or reindex takes seconds on a quiet machine and
     * over 30 s (Playwright's default wait) on a loaded one; a line that never comes is shown with the history.
     */
    jobShown: (line: RegExp) =>
      session.page
        .locator('table.jobs tbody tr')
        .filter({ hasText: line })
        .first()
        .waitFor({ timeout: 120_000 })
        .catch(async (error) => {
          throw new Error(`${error.message}\njob history:\n${await session.page.locator('table.jobs').innerText()}`);
        }),
    /** The recorded requests that left the api's server (a CDN, a font host): there should be none. */
    foreignRequests: () =>
      session.requested.filter((url) => !url.startsWith(session.api.url) && !url.startsWith('data:')),
    /** The recorded request URLs that carry a key: there should be none (keys go in headers). */
    urlsWithKey: () => session.requested.filter((url) => url.includes('api_key') || url.includes(API_KEY)),
    record: (target: Page) => {
      target.on('request', (request) => {
        session.requested.push(request.url());
        if (request.url().includes('/api/events/stream')) session.streams.push(request.headers());
      });
    },
    /** Signs the page in with the api's key, as a person does at the prompt. */
    signIn: async () => {
      await session.page.goto(session.api.url);
      await session.page.getByLabel('API key').fill(API_KEY);
      await session.page.getByRole('button', { name: 'Sign in' }).click();
      await session.page.getByRole('heading', { name: 'Overview' }).waitFor();
    },
  };
  let model: any;

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    mkdirSync(join(session.memoryRoot, 'entities'), { recursive: true });
    writeFileSync(join(session.memoryRoot, 'user.md'), USER_MD);
    writeFileSync(join(session.memoryRoot, 'entities', 'acme_corp.md'), ACME_MD);
    writeFileSync(join(session.memoryRoot, '.filters'), '- do not reveal ages\n');
    model = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'dashboard-model' });
    session.agentModel = await startMemAgentTestDouble(AGENT_SCENARIOS);
    session.api = await startEngram(
      'serve',
      {
        MCP_API_KEY: API_KEY,
        MCP_MEMORY_SQLITE_PATH: join(dir, 'engram.db'),
        MEMORY_DIR: join(dir, 'memory'),
        ENGRAM_EMBEDDING_PROVIDER: 'openai',
        MCP_EXTERNAL_EMBEDDING_URL: model.url,
        MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
        ENGRAM_AGENT_BASE_URL: session.agentModel.url,
        ENGRAM_AGENT_KEEP_TRANSCRIPTS: 'true',
      },
      dir,
      'Engram ready',
    );
    session.browser = await launchChromium();
    session.page = await (await contextWithAxe(session.browser)).newPage();
    session.record(session.page);
  });
  after(async () => {
    await session.browser?.close();
    await session.api?.stop();
    await model?.close();
    await session.agentModel?.close();
  });
  return session;
}
