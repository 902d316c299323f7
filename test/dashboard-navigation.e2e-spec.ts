import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Page } from 'playwright-core';
import { assertAccessible } from './accessibility';
import { AUTH, dashboardSession } from './dashboard-session';
import { RunningEngram } from './engram-cli';
import { call } from './process-harness';

/** Back, Forward and a reload, as a person uses them between the lists and a memory's page. */
describe('the dashboard keeps what a list was asked for through Back, Forward and a reload (chromium, real api)', () => {
  const session = dashboardSession();
  const { nav } = session;
  let api: RunningEngram;
  let page: Page;
  const shownContents = () => page.locator('memory-card .content').allInnerTexts();

  before(async () => {
    ({ api, page } = session);
    for (const [content, tags] of [
      ['The boiler is serviced every October', ['home']],
      ['The VPN certificate expires in May', ['it']],
      ['The boiler manual is in the garage', ['home', 'manuals']],
    ] as const) {
      const stored = await call(api.url, 'POST', '/api/memories', { content, tags }, AUTH);
      assert.equal(stored.status, 201, JSON.stringify(stored.body));
    }
    await session.signIn();
  });

  it("comes back to a search, its fields and its results, by Back from a result's page, by Forward and after a reload", async () => {
    const form = page.getByRole('search');
    /** Once the search's results are in: the form's query, tags and mode, and the results' texts. */
    const searchShown = async () => {
      await page.locator('search-view .memory-list').waitFor();
      return {
        fields: [
          await form.getByLabel('Query').inputValue(),
          await form.getByLabel('Tags').inputValue(),
          await form.getByLabel('Mode').inputValue(),
        ],
        results: await shownContents(),
      };
    };
    await nav('Search').click();
    await form.getByLabel('Query').fill('boiler October');
    await form.getByLabel('Tags').fill('home');
    await form.getByLabel('Mode').selectOption('keyword');
    await form.getByRole('button', { name: 'Search' }).click();
    const searched = await searchShown();
    assert.deepEqual(searched.fields, ['boiler October', 'home', 'keyword']);
    assert.ok(searched.results.includes('The boiler is serviced every October'), JSON.stringify(searched.results));
    assert.ok(!searched.results.includes('The VPN certificate expires in May'), 'the tag filter applies');

    await page
      .locator('memory-card', { hasText: 'The boiler is serviced every October' })
      .getByRole('link', { name: /^Open/ })
      .click();
    await page.getByRole('heading', { name: 'Memory', exact: true }).waitFor();
    await page.goBack();
    assert.deepEqual(await searchShown(), searched, 'Back from the result');
    await assertAccessible(page, 'search, come back to by Back');
    await page.goForward();
    await page.getByRole('heading', { name: 'Memory', exact: true }).waitFor();
    await page.goBack();
    assert.deepEqual(await searchShown(), searched, 'Back after Forward');
    await page.reload();
    assert.deepEqual(await searchShown(), searched, 'after a reload');

    // The Search link starts a new search (before, it changed the address only and left the one sent shown).
    await nav('Search').click();
    await page.waitForURL((url) => url.hash === '#/search');
    await form.getByLabel('Query').fill('VPN certificate');
    await form.getByLabel('Tags').fill('');
    await form.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL((url) => url.hash.startsWith('#/search?query=VPN'));
    await page.locator('search-view memory-card', { hasText: 'The VPN certificate expires in May' }).waitFor();
    await nav('Search').click();
    await page.waitForURL((url) => url.hash === '#/search');
    await page.locator('search-view .memory-list').waitFor({ state: 'detached' });
    assert.deepEqual(
      [await form.getByLabel('Query').inputValue(), await form.getByLabel('Tags').inputValue()],
      ['', ''],
    );
  });

  it("comes back to the memory list's tag and type filters by Back from a memory's page and after a reload", async () => {
    const tag = page.locator('select[name="tag"]');
    const type = page.locator('select[name="type"]');
    await nav('Memories').click();
    await tag.selectOption('manuals');
    await type.selectOption('note');
    await page.locator('p.meta').getByText('Memories 1 of 1', { exact: true }).waitFor();
    assert.deepEqual(await shownContents(), ['The boiler manual is in the garage']);

    await page.getByRole('link', { name: 'Open “The boiler manual is in the garage”' }).click();
    await page.getByRole('heading', { name: 'Memory', exact: true }).waitFor();
    await page.goBack();
    await page.locator('p.meta').getByText('Memories 1 of 1', { exact: true }).waitFor();
    assert.deepEqual([await tag.inputValue(), await type.inputValue()], ['manuals', 'note'], 'Back');
    assert.deepEqual(await shownContents(), ['The boiler manual is in the garage']);
    await page.reload();
    await page.locator('p.meta').getByText('Memories 1 of 1', { exact: true }).waitFor();
    assert.deepEqual([await tag.inputValue(), await type.inputValue()], ['manuals', 'note'], 'after a reload');
    assert.deepEqual(await shownContents(), ['The boiler manual is in the garage']);

    await tag.selectOption('');
    await type.selectOption('');
    await page.waitForURL((url) => url.hash === '#/memories');
    await page.reload();
    await page.locator('memory-card', { hasText: 'The VPN certificate expires in May' }).waitFor();
    assert.deepEqual(
      [await tag.inputValue(), await type.inputValue()],
      ['', ''],
      'no filter once both are back to Any',
    );
  });

  it('runs a search whose address names no mode or result count the form offers with the defaults, and corrects the address', async () => {
    const form = page.getByRole('search');
    await nav('Trash').click();
    await page.getByRole('heading', { name: 'Trash', exact: true }).waitFor();
    await page.evaluate(`location.hash = '#/search?query=boiler&mode=fuzzy&limit=7&tags=home'`);
    await page.waitForURL((url) => url.hash === '#/search?query=boiler&tags=home');
    await page.locator('search-view .memory-list').waitFor();
    assert.deepEqual(
      [await form.getByLabel('Query').inputValue(), await form.getByLabel('Mode').inputValue()],
      ['boiler', 'hybrid'],
    );
    assert.equal(await form.getByLabel('Results').inputValue(), '10');
    assert.equal(await page.locator('search-view .error').count(), 0);
    const shown = await shownContents();
    assert.ok(shown.includes('The boiler manual is in the garage'), JSON.stringify(shown));
    assert.ok(!shown.includes('The VPN certificate expires in May'), 'the tags kept apply');
    // Replaced, not kept in the history: Back leaves for the view before it.
    await page.goBack();
    await page.waitForURL((url) => url.hash === '#/trash');
  });

  it('offers "Skip to main content" as the first stop of Tab, shown when focused, which focuses the panel and keeps the address', async () => {
    await nav('Trash').click();
    await page.getByRole('heading', { name: 'Trash', exact: true }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Trash', exact: true }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await session.focused(), 'Skip to main content');
    const box = await page.getByRole('link', { name: 'Skip to main content' }).boundingBox();
    assert.ok(box && box.y >= 0 && box.height > 0, `the focused link is on screen: ${JSON.stringify(box)}`);
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate('document.activeElement?.id'), 'main');
    assert.equal(new URL(page.url()).hash, '#/trash');
    await page.getByRole('heading', { name: 'Trash', exact: true }).waitFor();
  });

  it("takes the focus to the new view's heading when a link, Back or Forward changes the view", async () => {
    /**
     * Waits for the focus to reach the heading `name`, naming the focused element when it does not. Polled
     * here rather than with waitForFunction, which once gave up within 200 ms in a clean-clone run while the
     * heading it waited for held the focus: a read that fails is tried again until the deadline.
     */
    const headingFocused = async (name: string, how: string) => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const focused = await page
          .evaluate(
            `(() => {
              const element = document.activeElement;
              if (element?.tagName === 'H1' && element.textContent === ${JSON.stringify(name)}) return true;
              return element ? element.outerHTML.slice(0, 80) : 'nothing';
            })()`,
          )
          .catch((error: Error) => `unreadable (${error.message})`);
        if (focused === true) return;
        if (Date.now() > deadline) assert.fail(`${how}: the focus is on ${String(focused)}, not the ${name} heading`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    await nav('Memories').click();
    await page.getByRole('heading', { name: 'Memories', exact: true }).waitFor();
    await headingFocused('Memories', 'a link');
    await nav('Trash').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.hash === '#/trash');
    await headingFocused('Trash', 'a link followed by keyboard');
    await page.goBack();
    await page.waitForURL((url) => url.hash === '#/memories');
    await headingFocused('Memories', 'Back');
    await page.goForward();
    await page.waitForURL((url) => url.hash === '#/trash');
    await headingFocused('Trash', 'Forward');
  });

  it('shows the Overview for an address of no view, its own address in the bar in place of the wrong one', async () => {
    for (const wrong of ['#/nonsense', '#/memory/not-a-hash', '#/settings?tab=keys']) {
      await nav('Trash').click();
      await page.getByRole('heading', { name: 'Trash', exact: true }).waitFor();
      await page.evaluate(`location.hash = ${JSON.stringify(wrong)}`);
      await page.waitForURL((url) => url.hash === '#/overview');
      await page.getByRole('heading', { name: 'Overview', exact: true }).waitFor();
      assert.equal(await nav('Overview').getAttribute('aria-current'), 'page', wrong);
      // The wrong address was replaced, not kept in the history: Back leaves for the view before it.
      await page.goBack();
      await page.waitForURL((url) => url.hash === '#/trash');
      await page.getByRole('heading', { name: 'Trash', exact: true }).waitFor();
    }
  });
});
