// `node scripts/layer-imports.mjs` (part of `npm run lint`): lists the imports in services/engram/src that
// point from a lower layer up to a higher one (specs excluded: a test may reach anything). Exits 1 when there
// is one.
// Layers, lowest first; a folder may import its own layer or those below:
//   0 foundation: common, config, tracing, process, time
//   1 cross-cutting services and ports: metrics, storage, embeddings, events, auth, audit, jobs
//   2 features: memories, search, quality, conflicts, export, sandbox, agent, harvest, oauth, overview,
//     health, backups, reindex, imports, consolidation, dashboard, mcp
//   3 entrypoints and composition: http, worker, cli, testing, and the files at src/ itself
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'services', 'engram', 'src');
const LAYERS = [
  ['common', 'config', 'tracing', 'process', 'time'],
  ['metrics', 'storage', 'embeddings', 'events', 'auth', 'audit', 'jobs'],
  [
    ...['memories', 'search', 'quality', 'conflicts', 'export', 'sandbox', 'agent', 'harvest', 'oauth', 'overview'],
    ...['health', 'backups', 'reindex', 'imports', 'consolidation', 'dashboard', 'mcp'],
  ],
  ['http', 'worker', 'cli', 'testing', '.'],
];
const layerOf = new Map(LAYERS.flatMap((names, index) => names.map((name) => [name, index])));

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const folderOf = (path) => {
  const rel = relative(SRC, path);
  return rel.includes('/') ? rel.split('/')[0] : '.';
};

const up = [];
for (const file of files(SRC)) {
  if (file.endsWith('.spec.ts')) continue;
  const from = folderOf(file);
  const text = readFileSync(file, 'utf8');
  for (const [, spec] of text.matchAll(/(?:from|import\(|require\()\s*'(\.{1,2}\/[^']+)'/g)) {
    const to = folderOf(resolve(dirname(file), spec));
    if (to === from) continue;
    const [a, b] = [layerOf.get(from), layerOf.get(to)];
    if (a === undefined || b === undefined) {
      console.error(`unknown folder in layer map: ${a === undefined ? from : to}`);
      process.exitCode = 2;
      continue;
    }
    if (b > a) up.push(`${relative(SRC, file)} (layer ${a}) -> ${spec} (layer ${b})`);
  }
}
for (const line of up) console.log(line);
console.log(`${up.length} import(s) point up`);
if (up.length && !process.exitCode) process.exitCode = 1;
