import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Page } from 'playwright-core';
import { dashboardSession } from './dashboard-session';

/** A phone's width: errors quote what was sent, and what a person sends can be one long word. */
describe('the dashboard fits a phone screen when an error quotes a long input (chromium, real api)', () => {
  const session = dashboardSession();
  let page: Page;
  /** How many px the page is wider than the screen (0 when it fits), once `error` is shown. */
  const overflowWith = async (error: string) => {
    await page.getByRole('alert').filter({ hasText: error }).waitFor();
    return page.evaluate<number>('Math.max(0, document.documentElement.scrollWidth - window.innerWidth)');
  };

  before(async () => {
    page = session.page;
    await page.setViewportSize({ width: 375, height: 812 });
    await session.signIn();
  });

  it("keeps an unknown memory's hash within the screen", async () => {
    await page.goto(`${session.api.url}/#/memory/${'ab'.repeat(32)}`);
    assert.equal(await overflowWith(`No memory with content_hash ${'ab'.repeat(32)}`), 0);
  });

  it('keeps a long agent file path that names no file within the screen', async () => {
    const path = `entities/${'a'.repeat(120)}.md`;
    await page.goto(`${session.api.url}/#/agent/files/${path}`);
    assert.equal(await overflowWith(path), 0);
  });

  it('keeps a long time expression the search refuses within the screen', async () => {
    const expression = 'v'.repeat(300);
    await session.nav('Search').click();
    const form = page.getByRole('search');
    await form.getByLabel('Query').fill('boiler');
    await form.getByLabel('When').fill(expression);
    await form.getByRole('button', { name: 'Search' }).click();
    assert.equal(await overflowWith(expression), 0);
    await session.shot('narrow-search-error');
  });
});
