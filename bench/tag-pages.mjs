#!/usr/bin/env node
/**
 * Pages of GET /api/memories filtered by tag, as the memory service asks the store for them: a walk of
 * every page by cursor (listAfter, one row more than the page to know there is a next, and the total the
 * tallies give, countFromTallies; the quickest of three walks) and by number (the count, then list at the
 * offset), the first page and one halfway down either way, and a cursor page's total alone (the least of
 * five each), for one common tag, a rare one, all of two and any of two. The store
 * holds 100,000 memories in one namespace: `common` on 20,000 of them (500 of those in the trash and 500
 * superseded, so 19,000 listed), `second` on a third (6,667 with both), `rare` on 50. Figures go to stdout
 * as JSON.
 *   node bench/tag-pages.mjs [--storage sqlite|postgres] [--memories 100000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fromDist } from './lib/dist.mjs';
import { machineInfo } from './lib/machine.mjs';
import { parseStorageBackend, startBenchPostgres } from './lib/storage-backend.mjs';

const { values: args } = parseArgs({
  options: { storage: { type: 'string', default: 'sqlite' }, memories: { type: 'string', default: '100000' } },
});
const STORAGE = parseStorageBackend(args.storage);
const MEMORIES = Number(args.memories);
const PAGE = 100;
const MODEL = { modelId: 'bench-8', dimension: 8 };
const IMPORT_BATCH = 10_000;
const log = (message) => process.stderr.write(`[tag-pages] ${message}\n`);

function tagsOf(i) {
  const tags = [];
  if (i % 5 === 0) tags.push('common');
  if (i % 3 === 0) tags.push('second');
  if (i % Math.floor(MEMORIES / 50) === 7) tags.push('rare');
  return tags;
}

function memory(i) {
  return {
    id: i + 1,
    namespace: 'default',
    contentHash: `h${i}`,
    content: `memory ${i}`,
    memoryType: i % 4 === 0 ? 'fact' : 'note',
    metadata: {},
    tags: tagsOf(i),
    createdAt: 1_700_000_000_000 + i * 1_000,
    updatedAt: 1_700_000_000_000 + i * 1_000,
    deletedAt: i % 200 === 50 ? 1_800_000_000_000 + i : null,
  };
}

/** One memory in 200 (from the 125th) superseded by the next one. */
function supersessions() {
  const links = [];
  for (let i = 125; i + 1 < MEMORIES; i += 200) {
    links.push({ id: i + 1, supersededBy: i + 2, supersedes: null, validTo: 1_900_000_000_000 });
    links.push({ id: i + 2, supersededBy: null, supersedes: i + 1, validTo: null });
  }
  return links;
}

async function openStores() {
  if (STORAGE === 'sqlite') {
    const { openSqliteStores } = fromDist('storage/sqlite/sqlite.stores.js');
    const { DEFAULT_PRAGMAS } = fromDist('config/sqlite-pragmas.js');
    const folder = mkdtempSync(join(tmpdir(), 'engram-tag-pages-'));
    const stores = openSqliteStores({ path: join(folder, 'engram.db'), pragmas: DEFAULT_PRAGMAS, model: MODEL });
    return { stores, close: async () => (await stores.close(), rmSync(folder, { recursive: true, force: true })) };
  }
  const { openPostgresStores } = fromDist('storage/postgres/postgres.stores.js');
  const server = await startBenchPostgres();
  const stores = await openPostgresStores(server.settings, MODEL);
  return { stores, close: async () => (await stores.close(), await server.close()) };
}

const seconds = (ms) => Math.round(ms) / 1000;
const millis = (ms) => Math.round(ms * 100) / 100;

async function timed(work) {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

/** The least of `runs` timings of `work`, in ms. */
async function least(work, runs = 5) {
  let best = Infinity;
  for (let run = 0; run < runs; run += 1) best = Math.min(best, (await timed(work)).ms);
  return millis(best);
}

/** Every page of the filter by cursor, newest first: pages, and the seconds of the quickest of three walks. */
async function walkByCursor(memories, filter, walks = 3) {
  let quickest;
  for (let walk = 0; walk < walks; walk += 1) {
    const run = await walkOnceByCursor(memories, filter);
    if (!quickest || run.seconds < quickest.seconds) quickest = run;
  }
  return quickest;
}

async function walkOnceByCursor(memories, filter) {
  const { result, ms } = await timed(async () => {
    let after;
    let pages = 0;
    let rows = 0;
    for (;;) {
      const read = await memories.listAfter(filter, after, PAGE + 1, 'newest');
      await memories.countFromTallies(filter);
      const page = read.slice(0, PAGE);
      pages += 1;
      rows += page.length;
      if (read.length <= PAGE) return { pages, rows };
      after = page.at(-1);
    }
  });
  return { ...result, seconds: seconds(ms) };
}

/** A numbered page as the service reads it: the filter's count, then the page at its offset. */
async function numberedPage(memories, filter, offset) {
  const total = await memories.count(filter);
  const page = offset < total ? await memories.list(filter, offset, PAGE, 'newest') : [];
  return { total, page };
}

async function walkByNumber(memories, filter) {
  const { result, ms } = await timed(async () => {
    let pages = 0;
    let rows = 0;
    for (let offset = 0; ; offset += PAGE) {
      const { total, page } = await numberedPage(memories, filter, offset);
      pages += 1;
      rows += page.length;
      if (offset + PAGE >= total) return { pages, rows };
    }
  });
  return { ...result, seconds: seconds(ms) };
}

/** One page by number and by cursor halfway down the filter's memories (newest first). */
async function pageDeepIn(memories, filter) {
  const total = await memories.count(filter);
  const offset = Math.floor(total / 2 / PAGE) * PAGE;
  const [before] = offset > 0 ? await memories.list(filter, offset - 1, 1, 'newest') : [];
  return {
    offset,
    byNumberMs: await least(() => numberedPage(memories, filter, offset)),
    byCursorMs: await least(() => memories.listAfter(filter, before, PAGE + 1, 'newest')),
  };
}

async function main() {
  const { stores, close } = await openStores();
  try {
    log(`${STORAGE}: importing ${MEMORIES.toLocaleString('en')} memories`);
    for (let start = 0; start < MEMORIES; start += IMPORT_BATCH) {
      const batch = Array.from({ length: Math.min(IMPORT_BATCH, MEMORIES - start) }, (_, i) => memory(start + i));
      await stores.memories.importMemories(batch);
    }
    await stores.memories.importLinks(supersessions());
    if (STORAGE === 'postgres') await stores.db.query('ANALYZE');
    const memories = stores.memories;
    const filters = {
      common: { namespace: 'default', tags: ['common'] },
      rare: { namespace: 'default', tags: ['rare'] },
      commonAndSecond: { namespace: 'default', tags: ['common', 'second'], tagMatch: 'all' },
      rareOrCommon: { namespace: 'default', tags: ['rare', 'common'], tagMatch: 'any' },
    };
    const figures = {};
    for (const [name, filter] of Object.entries(filters)) {
      log(`${name}: walking by cursor`);
      const byCursor = await walkByCursor(memories, filter);
      log(`${name}: walking by number`);
      const byNumber = await walkByNumber(memories, filter);
      log(`${name}: one page deep in`);
      figures[name] = { byCursor, byNumber, deepIn: await pageDeepIn(memories, filter) };
      figures[name].firstPage = {
        byNumberMs: await least(() => numberedPage(memories, filter, 0)),
        byCursorMs: await least(() => memories.listAfter(filter, undefined, PAGE + 1, 'newest')),
      };
      figures[name].cursorTotal = {
        total: (await memories.countFromTallies(filter)) ?? null,
        ms: await least(() => memories.countFromTallies(filter)),
      };
    }
    const load = (await import('node:os')).loadavg().map((value) => Math.round(value * 10) / 10);
    process.stdout.write(
      `${JSON.stringify({ storage: STORAGE, memories: MEMORIES, page: PAGE, machine: machineInfo(), load, figures }, null, 2)}\n`,
    );
  } finally {
    await close();
  }
}

await main();
