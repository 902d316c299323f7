import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Browser, Page } from 'playwright-core';
import { assertAccessible, contextWithAxe } from './accessibility';
import { launchChromium, signInToDashboard } from './browser';
import { e2eStorages } from './e2e-storage';
import { RunningEngram, serviceHelper, startEngram } from './engram-cli';
import { call, tempDir } from './process-harness';

const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');

const API_KEY = 'e2e-paging-key-0123456789abcdef';
const AUTH = { 'X-API-Key': API_KEY };
/** Three pages of the dashboard's 20: 45–26, 25–6 and 5–1, newest (or most recently deleted) first. */
const NOTES = 45;
const MEMORIES = '/api/memories';
const TRASH = '/api/memories/trash';

/** "Paging note 07": numbered in the order stored, so newest first counts down. */
const note = (prefix: string, n: number) => `${prefix} ${String(n).padStart(2, '0')}`;
/** The numbers from `from` down to `to` that `keep` admits. */
const countdown = (from: number, to: number, keep = (n: number) => n > 0) =>
  Array.from({ length: from - to + 1 }, (_, i) => from - i).filter(keep);
const odd = (n: number) => n % 2 === 1;

for (const storage of e2eStorages()) {
  describe(`the dashboard pages its memory list and trash by cursor (chromium, real api, ${storage.name})`, () => {
    const dir = tempDir();
    let model: any;
    let api: RunningEngram;
    let browser: Browser;
    let page: Page;
    const hashes = new Map<string, string>();
    /** Every list request the page made, by path. */
    const requests: Record<string, URL[]> = { [MEMORIES]: [], [TRASH]: [] };
    const lastRequest = (path: string) => requests[path].at(-1)!;
    const pages = () => page.getByRole('navigation', { name: 'Pages' });
    const pagerButton = (name: 'Previous' | 'Next') => pages().getByRole('button', { name, exact: true });
    const nav = (label: string) =>
      page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: label });

    const store = async (content: string, tags: string[] = []) => {
      const stored = await call(api.url, 'POST', MEMORIES, { content, tags }, AUTH);
      assert.equal(stored.status, 201, JSON.stringify(stored.body));
      hashes.set(content, stored.body.content_hash);
    };
    const remove = async (content: string) =>
      assert.equal((await call(api.url, 'DELETE', `${MEMORIES}/${hashes.get(content)}`, undefined, AUTH)).status, 200);

    /**
     * Once the page asked for has come (until then the count line and the pager already speak of it above the
     * rows before) and they read `range` and `pageLabel`: the numbers of the notes shown, in order.
     */
    async function shown(prefix: string, range: string, pageLabel: string): Promise<number[]> {
      await page.locator('.memory-list:not([aria-busy="true"])').waitFor();
      await page.locator('p.meta').getByText(range, { exact: true }).waitFor();
      await pages().getByText(pageLabel, { exact: true }).waitFor();
      const texts = await page.locator('.memory-list .content').allInnerTexts();
      return texts.map((text) => {
        const number = new RegExp(`^${prefix} (\\d+)$`).exec(text.trim());
        assert.ok(number, `unexpected row: ${text}`);
        return Number(number[1]);
      });
    }

    /** The cursor the page's last request for `path` carried; a page number it must never carry. */
    function cursorSent(path: string): string | null {
      const url = lastRequest(path);
      assert.equal(url.searchParams.get('page'), null, `${url}: paged by number`);
      return url.searchParams.get('cursor');
    }

    async function nextCursorOfFirstPage(path: string, query = ''): Promise<string> {
      const first = await call(api.url, 'GET', `${path}?page_size=20${query}`, undefined, AUTH);
      return first.body.next_cursor;
    }

    /**
     * Until the dashboard sends it, `refused` stands in for the server's next_cursor in every answer for the
     * first page of `path`: a cursor the server refuses, as it does one edited, made for another list or
     * filter, or by a server whose cursors changed since. Every other answer is the server's own.
     */
    async function handOutRefusedCursor(path: string, refused: string): Promise<void> {
      let sent = false;
      await page.route(
        (url) => url.pathname === path,
        async (route) => {
          const cursor = new URL(route.request().url()).searchParams.get('cursor');
          if (cursor === refused) sent = true;
          if (sent || cursor !== null) return route.fallback();
          const response = await route.fetch();
          await route.fulfill({ response, json: { ...(await response.json()), next_cursor: refused } });
        },
      );
    }

    /** The cursors of the requests for `path` from the last one carrying `refused` on. */
    const cursorsFrom = (path: string, refused: string) => {
      const cursors = requests[path].map((url) => url.searchParams.get('cursor'));
      return cursors.slice(cursors.lastIndexOf(refused));
    };

    /** The note the list shows after going back to its first page on its own. */
    const restartNote = () => page.getByRole('status').filter({ hasText: 'Back to the first page' });

    async function assertEnds(previous: boolean, next: boolean): Promise<void> {
      assert.equal(await pagerButton('Previous').isDisabled(), !previous, 'Previous enabled');
      assert.equal(await pagerButton('Next').isDisabled(), !next, 'Next enabled');
    }

    before(async () => {
      model = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'paging-model' });
      const storeEnv = await storage.start(dir);
      api = await startEngram(
        'serve',
        {
          ...storeEnv,
          MCP_API_KEY: API_KEY,
          ENGRAM_EMBEDDING_PROVIDER: 'openai',
          MCP_EXTERNAL_EMBEDDING_URL: model.url,
          MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
        },
        dir,
        'Engram ready',
      );
      // Deleted one after another, so the trash lists them most recently deleted first: 45 down to 1.
      for (let n = 1; n <= NOTES; n++) await store(note('Trash note', n));
      for (let n = 1; n <= NOTES; n++) await remove(note('Trash note', n));
      for (let n = 1; n <= NOTES; n++) await store(note('Paging note', n), odd(n) ? ['odd'] : []);
      browser = await launchChromium();
      page = await (await contextWithAxe(browser)).newPage();
      page.on('request', (request) => {
        const url = new URL(request.url());
        requests[url.pathname]?.push(url);
      });
      await signInToDashboard(page, api.url, API_KEY);
    });
    after(async () => {
      await browser?.close();
      await api?.stop();
      await model?.close();
      await storage.stop();
    });

    it('walks the memory list forward and back by cursor: every memory once, in order, Previous and Next disabled at the ends', async () => {
      await nav('Memories').click();
      const first = await shown('Paging note', 'Memories 1–20 of 45', 'Page 1 of 3');
      assert.deepEqual(first, countdown(45, 26));
      assert.equal(cursorSent(MEMORIES), null, 'the first page needs no cursor');
      await assertEnds(false, true);
      await assertAccessible(page, 'memory list, first page');

      await pagerButton('Next').click();
      const second = await shown('Paging note', 'Memories 21–40 of 45', 'Page 2 of 3');
      assert.equal(cursorSent(MEMORIES), await nextCursorOfFirstPage(MEMORIES));
      await assertEnds(true, true);
      await pagerButton('Next').click();
      const third = await shown('Paging note', 'Memories 41–45 of 45', 'Page 3 of 3');
      assert.notEqual(cursorSent(MEMORIES), null);
      await assertEnds(true, false);
      await assertAccessible(page, 'memory list, last page');
      assert.deepEqual([...first, ...second, ...third], countdown(45, 1), 'no memory repeated or left out');

      await pagerButton('Previous').click();
      assert.deepEqual(await shown('Paging note', 'Memories 21–40 of 45', 'Page 2 of 3'), second);
      assert.equal(cursorSent(MEMORIES), await nextCursorOfFirstPage(MEMORIES));
      await pagerButton('Previous').click();
      assert.deepEqual(await shown('Paging note', 'Memories 1–20 of 45', 'Page 1 of 3'), first);
      assert.equal(cursorSent(MEMORIES), null);
      await assertEnds(false, true);
    });

    it('starts again at the first page when a filter changes; a page reached by cursor shows the total of one tag, not of a tag with a type', async () => {
      await pagerButton('Next').click();
      await shown('Paging note', 'Memories 21–40 of 45', 'Page 2 of 3');
      await page.getByLabel('Tag').selectOption('odd');
      assert.deepEqual(await shown('Paging note', 'Memories 1–20 of 23', 'Page 1 of 2'), countdown(45, 7, odd));
      assert.equal(cursorSent(MEMORIES), null, 'a new filter starts without cursor');
      assert.equal(lastRequest(MEMORIES).searchParams.get('tag'), 'odd');
      await assertEnds(false, true);

      await pagerButton('Next').click();
      // One tag's total comes from the server's running counts, on every page.
      assert.deepEqual(await shown('Paging note', 'Memories 21–23 of 23', 'Page 2 of 2'), [5, 3, 1]);
      assert.equal(cursorSent(MEMORIES), await nextCursorOfFirstPage(MEMORIES, '&tag=odd'));
      assert.equal(lastRequest(MEMORIES).searchParams.get('tag'), 'odd', 'the filter goes with its cursor');
      await assertEnds(true, false);

      await page.getByLabel('Type').selectOption('note');
      assert.deepEqual(await shown('Paging note', 'Memories 1–20 of 23', 'Page 1 of 2'), countdown(45, 7, odd));
      await pagerButton('Next').click();
      // A tag with a type is counted on the first page only: on every page it would cost what offsets did.
      assert.deepEqual(await shown('Paging note', 'Memories 21–23', 'Page 2'), [5, 3, 1]);
      assert.equal(lastRequest(MEMORIES).searchParams.get('memory_type'), 'note');
      await page.getByLabel('Type').selectOption('');
      await shown('Paging note', 'Memories 1–20 of 23', 'Page 1 of 2');
      await page.getByLabel('Tag').selectOption('');
      assert.deepEqual(await shown('Paging note', 'Memories 1–20 of 45', 'Page 1 of 3'), countdown(45, 26));
      assert.equal(cursorSent(MEMORIES), null);
    });

    it('goes back to the first page of the same filter, saying why, when the server refuses a cursor, and pages on from there', async () => {
      // A cursor of the unfiltered list, which the server refuses for the tag's list.
      const refusedCursor = await nextCursorOfFirstPage(MEMORIES);
      await handOutRefusedCursor(MEMORIES, refusedCursor);
      await page.getByLabel('Tag').selectOption('odd');
      await shown('Paging note', 'Memories 1–20 of 23', 'Page 1 of 2');
      await pagerButton('Next').click();
      await restartNote().getByText('cursor was made for another tags').waitFor();
      assert.deepEqual(await shown('Paging note', 'Memories 1–20 of 23', 'Page 1 of 2'), countdown(45, 7, odd));
      assert.deepEqual(cursorsFrom(MEMORIES, refusedCursor), [refusedCursor, null], 'then the first page again');
      assert.equal(lastRequest(MEMORIES).searchParams.get('tag'), 'odd', 'of the same filter');
      assert.equal(await page.getByRole('alert').count(), 0, 'no error shown');
      await assertEnds(false, true);
      await assertAccessible(page, 'memory list, back at the first page after a refused cursor');

      await pagerButton('Next').click();
      assert.deepEqual(await shown('Paging note', 'Memories 21–23 of 23', 'Page 2 of 2'), [5, 3, 1]);
      assert.equal(cursorSent(MEMORIES), await nextCursorOfFirstPage(MEMORIES, '&tag=odd'));
      assert.equal(await restartNote().count(), 0, 'the note goes once the user pages');
      await assertEnds(true, false);
      await pagerButton('Previous').click();
      assert.deepEqual(await shown('Paging note', 'Memories 1–20 of 23', 'Page 1 of 2'), countdown(45, 7, odd));
      assert.equal(cursorSent(MEMORIES), null);
      await assertEnds(false, true);

      await page.getByLabel('Tag').selectOption('');
      await shown('Paging note', 'Memories 1–20 of 45', 'Page 1 of 3');
    });

    it('keeps the page in the address for a reload or a link, reached by cursor; a page that is none opens the first, one past the end the last, the address corrected', async () => {
      const hashIs = (hash: string) => page.waitForURL((url) => url.hash === hash);
      await pagerButton('Next').click();
      const second = await shown('Paging note', 'Memories 21–40 of 45', 'Page 2 of 3');
      await hashIs('#/memories?page=2');
      await page.reload();
      assert.deepEqual(await shown('Paging note', 'Memories 21–40 of 45', 'Page 2 of 3'), second, 'after a reload');
      assert.equal(cursorSent(MEMORIES), await nextCursorOfFirstPage(MEMORIES), 'reached by cursor');
      await assertEnds(true, true);
      await pagerButton('Previous').click();
      await shown('Paging note', 'Memories 1–20 of 45', 'Page 1 of 3');
      await hashIs('#/memories');

      await page.evaluate(`location.hash = '#/memories?tag=odd&page=2'`);
      assert.deepEqual(await shown('Paging note', 'Memories 21–23 of 23', 'Page 2 of 2'), [5, 3, 1], 'a link');
      assert.equal(await page.getByLabel('Tag').inputValue(), 'odd');
      await pagerButton('Previous').click();
      await shown('Paging note', 'Memories 1–20 of 23', 'Page 1 of 2');
      await hashIs('#/memories?tag=odd');

      const firstPage = ['#/memories', 'Memories 1–20 of 45', 'Page 1 of 3'];
      for (const [wrong, [corrected, range, pageLabel]] of [
        ['page=0', firstPage],
        ['page=two', firstPage],
        ['page=-2', firstPage],
        ['page=1.5', firstPage],
        ['page=99999999999', firstPage],
        ['page=9', ['#/memories?page=3', 'Memories 41–45 of 45', 'Page 3 of 3']],
      ] as const) {
        await nav('Trash').click();
        await page.getByRole('heading', { name: 'Trash', exact: true }).waitFor();
        await page.evaluate(`location.hash = '#/memories?${wrong}'`);
        await shown('Paging note', range, pageLabel);
        await hashIs(corrected);
        // Replaced, not kept in the history: Back leaves for the view before it.
        await page.goBack();
        await hashIs('#/trash');
      }
      await nav('Memories').click();
      await shown('Paging note', 'Memories 1–20 of 45', 'Page 1 of 3');
    });

    it('starts over from the Memories link while the list shows a later page or a filter', async () => {
      const hashIs = (hash: string) => page.waitForURL((url) => url.hash === hash);
      await pagerButton('Next').click();
      await shown('Paging note', 'Memories 21–40 of 45', 'Page 2 of 3');
      await hashIs('#/memories?page=2');
      // Before, the link changed the address only: the list stayed on page 2 (and on the filter below).
      await nav('Memories').click();
      await hashIs('#/memories');
      assert.deepEqual(await shown('Paging note', 'Memories 1–20 of 45', 'Page 1 of 3'), countdown(45, 26));

      await page.getByLabel('Tag').selectOption('odd');
      await shown('Paging note', 'Memories 1–20 of 23', 'Page 1 of 2');
      await hashIs('#/memories?tag=odd');
      await nav('Memories').click();
      await hashIs('#/memories');
      await shown('Paging note', 'Memories 1–20 of 45', 'Page 1 of 3');
      assert.equal(await page.getByLabel('Tag').inputValue(), '');
      // Back returns to the filter the link left.
      await page.goBack();
      await shown('Paging note', 'Memories 1–20 of 23', 'Page 1 of 2');
      assert.equal(await page.getByLabel('Tag').inputValue(), 'odd');
      await page.getByLabel('Tag').selectOption('');
      await shown('Paging note', 'Memories 1–20 of 45', 'Page 1 of 3');
    });

    it('stays on the page when one of its memories is deleted, and goes back a page when its last one is', async () => {
      const card = (n: number) => page.locator('memory-card', { hasText: note('Paging note', n) });
      const deleteInDashboard = async (n: number) => {
        await card(n)
          .getByRole('button', { name: /^Delete/ })
          .click();
        await page
          .getByRole('alertdialog', { name: 'Delete this memory?' })
          .getByRole('button', { name: 'Delete' })
          .click();
      };
      await pagerButton('Next').click();
      await shown('Paging note', 'Memories 21–40 of 45', 'Page 2 of 3');
      await deleteInDashboard(20);
      const pulledUp = countdown(25, 5, (n) => n !== 20);
      assert.deepEqual(await shown('Paging note', 'Memories 21–40 of 44', 'Page 2 of 3'), pulledUp);

      await pagerButton('Next').click();
      assert.deepEqual(await shown('Paging note', 'Memories 41–44 of 44', 'Page 3 of 3'), [4, 3, 2, 1]);
      for (const n of [4, 3, 2]) await remove(note('Paging note', n)); // another client: the list follows live
      assert.deepEqual(await shown('Paging note', 'Memories 41 of 41', 'Page 3 of 3'), [1]);
      await deleteInDashboard(1);
      assert.deepEqual(await shown('Paging note', 'Memories 21–40 of 40', 'Page 2 of 2'), pulledUp);
      await assertEnds(true, false);
    });

    it('walks the trash forward and back by cursor, stays on a page when a row is restored, and goes back a page when its last row is deleted for good', async () => {
      const entry = (n: number) => page.locator('.memory', { hasText: note('Trash note', n) });
      const purge = async (content: string) =>
        assert.equal((await call(api.url, 'DELETE', `${TRASH}/${hashes.get(content)}`, undefined, AUTH)).status, 200);
      // The memory list's deletes above went to the trash too: it is to hold the trash notes only.
      for (const n of [20, 4, 3, 2, 1]) await purge(note('Paging note', n));
      await nav('Trash').click();
      const first = await shown('Trash note', 'Deleted memories 1–20 of 45', 'Page 1 of 3');
      assert.deepEqual(first, countdown(45, 26));
      assert.equal(cursorSent(TRASH), null);
      await assertEnds(false, true);
      await pagerButton('Next').click();
      const second = await shown('Trash note', 'Deleted memories 21–40 of 45', 'Page 2 of 3');
      assert.equal(cursorSent(TRASH), await nextCursorOfFirstPage(TRASH));
      await pagerButton('Next').click();
      const third = await shown('Trash note', 'Deleted memories 41–45 of 45', 'Page 3 of 3');
      assert.notEqual(cursorSent(TRASH), null);
      await assertEnds(true, false);
      await assertAccessible(page, 'trash, last page');
      assert.deepEqual([...first, ...second, ...third], countdown(45, 1), 'no deleted memory repeated or left out');
      await pagerButton('Previous').click();
      assert.deepEqual(await shown('Trash note', 'Deleted memories 21–40 of 45', 'Page 2 of 3'), second);

      await entry(20)
        .getByRole('button', { name: /^Restore/ })
        .click();
      const pulledUp = countdown(25, 5, (n) => n !== 20);
      assert.deepEqual(await shown('Trash note', 'Deleted memories 21–40 of 44', 'Page 2 of 3'), pulledUp);
      await pagerButton('Next').click();
      assert.deepEqual(await shown('Trash note', 'Deleted memories 41–44 of 44', 'Page 3 of 3'), [4, 3, 2, 1]);
      for (const n of [4, 3, 2]) await purge(note('Trash note', n)); // another client: the trash follows live
      assert.deepEqual(await shown('Trash note', 'Deleted memories 41 of 41', 'Page 3 of 3'), [1]);
      await entry(1)
        .getByRole('button', { name: /^Delete for good/ })
        .click();
      await page
        .getByRole('alertdialog', { name: 'Delete for good?' })
        .getByRole('button', { name: 'Delete for good' })
        .click();
      assert.deepEqual(await shown('Trash note', 'Deleted memories 21–40 of 40', 'Page 2 of 2'), pulledUp);
      await assertEnds(true, false);
    });

    it('goes back to the first page of the trash, saying why, when the server refuses a cursor, and pages on from there', async () => {
      // A cursor of the memory list, which the server refuses for the trash.
      const refusedCursor = await nextCursorOfFirstPage(MEMORIES);
      await handOutRefusedCursor(TRASH, refusedCursor);
      await pagerButton('Previous').click();
      const first = await shown('Trash note', 'Deleted memories 1–20 of 40', 'Page 1 of 2');
      await pagerButton('Next').click();
      await restartNote().getByText('cursor continues the memory list, not the trash').waitFor();
      assert.deepEqual(await shown('Trash note', 'Deleted memories 1–20 of 40', 'Page 1 of 2'), first);
      assert.deepEqual(cursorsFrom(TRASH, refusedCursor), [refusedCursor, null], 'then the first page again');
      assert.equal(await page.getByRole('alert').count(), 0, 'no error shown');
      await assertEnds(false, true);

      await pagerButton('Next').click();
      assert.deepEqual(
        await shown('Trash note', 'Deleted memories 21–40 of 40', 'Page 2 of 2'),
        countdown(25, 5, (n) => n !== 20),
      );
      assert.equal(cursorSent(TRASH), await nextCursorOfFirstPage(TRASH));
      assert.equal(await restartNote().count(), 0);
      await pagerButton('Previous').click();
      assert.deepEqual(await shown('Trash note', 'Deleted memories 1–20 of 40', 'Page 1 of 2'), first);
      assert.equal(cursorSent(TRASH), null);
      await assertEnds(false, true);
    });

    it('keeps the trash page in the address for a reload, reached by cursor; one past the end opens the last', async () => {
      const hashIs = (hash: string) => page.waitForURL((url) => url.hash === hash);
      await nav('Trash').click();
      await shown('Trash note', 'Deleted memories 1–20 of 40', 'Page 1 of 2');
      await pagerButton('Next').click();
      const second = await shown('Trash note', 'Deleted memories 21–40 of 40', 'Page 2 of 2');
      // Before, the trash's address stayed #/trash, and a reload came back to its first page.
      await hashIs('#/trash?page=2');
      await page.reload();
      assert.deepEqual(await shown('Trash note', 'Deleted memories 21–40 of 40', 'Page 2 of 2'), second);
      await nav('Trash').click();
      await shown('Trash note', 'Deleted memories 1–20 of 40', 'Page 1 of 2');
      await hashIs('#/trash');
      await page.evaluate(`location.hash = '#/trash?page=9'`);
      assert.deepEqual(await shown('Trash note', 'Deleted memories 21–40 of 40', 'Page 2 of 2'), second);
      await hashIs('#/trash?page=2');
      await page.evaluate(`location.hash = '#/trash?page=zero'`);
      await shown('Trash note', 'Deleted memories 1–20 of 40', 'Page 1 of 2');
      await hashIs('#/trash');
    });

    it('keeps a chosen tag and type shown, marked as gone, while their last memory is deleted, and plain again once it is back', async () => {
      const content = 'Fading note';
      const stored = await call(
        api.url,
        'POST',
        MEMORIES,
        { content, tags: ['fading'], memory_type: 'fleeting' },
        AUTH,
      );
      assert.equal(stored.status, 201, JSON.stringify(stored.body));
      hashes.set(content, stored.body.content_hash);
      const tag = page.getByLabel('Tag');
      const type = page.getByLabel('Type');
      const shownChoice = async (select: typeof tag) => [
        await select.inputValue(),
        await select.evaluate((element: any) => element.selectedOptions[0].text),
      ];
      /** The list once it shows `range` of the note alone. */
      const listedAlone = async (range: string) => {
        await page.locator('.memory-list:not([aria-busy="true"])').waitFor();
        await page.locator('p.meta').getByText(range, { exact: true }).waitFor();
        assert.deepEqual(await page.locator('.memory-list .content').allInnerTexts(), [content]);
      };
      await nav('Memories').click();
      await tag.selectOption('fading');
      await listedAlone('Memories 1 of 1');
      await type.selectOption('fleeting');
      await listedAlone('Memories 1 of 1');

      await remove(content); // by another client: the live reload drops the tag and type from the offered ones
      await page.getByText('No memories match these filters.').waitFor();
      // The offered tags and types come with the list, in the same answer to the same reload.
      assert.deepEqual(await shownChoice(tag), ['fading', 'fading (no memories now)']);
      assert.deepEqual(await shownChoice(type), ['fleeting', 'fleeting (no memories now)']);
      assert.equal(lastRequest(MEMORIES).searchParams.get('tag'), 'fading', 'the list is still filtered by it');
      await assertAccessible(page, 'memory list filtered by a tag and type no memory has now');

      const restored = await call(api.url, 'POST', `${MEMORIES}/${hashes.get(content)}/restore`, undefined, AUTH);
      assert.equal(restored.status, 200, JSON.stringify(restored.body));
      await listedAlone('Memories 1 of 1');
      assert.deepEqual(await shownChoice(tag), ['fading', 'fading']);
      assert.deepEqual(await shownChoice(type), ['fleeting', 'fleeting']);
      await type.selectOption('');
      await tag.selectOption('');
      await page.locator('p.meta').getByText('Memories 1–20 of 42', { exact: true }).waitFor();
      assert.deepEqual(await shownChoice(tag), ['', 'Any tag']);
    });

    it('never asked for a list page by number', () => {
      const numbered = [...requests[MEMORIES], ...requests[TRASH]].filter((url) => url.searchParams.has('page'));
      assert.deepEqual(numbered.map(String), []);
      assert.ok(requests[MEMORIES].filter((url) => url.searchParams.has('cursor')).length >= 5);
      assert.ok(requests[TRASH].filter((url) => url.searchParams.has('cursor')).length >= 4);
    });
  });
}
