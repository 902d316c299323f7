// Shrinks a production node_modules for the container image (Dockerfile.mcp runs it after
// `npm prune --omit=dev`) without removing anything the service loads at run time:
//   - onnxruntime-node's native builds for other platforms (it ships macOS, Windows and Linux, x64 and arm64);
//   - onnxruntime-web, which transformers.js's Node build does not load (it bundles what it uses of it and
//     runs models on onnxruntime-node); refused when that stops being true;
//   - typescript, kept by npm as an optional peer of build-time tools;
//   - better-sqlite3's compiler leftovers (objects, the SQLite sources), keeping the built addon;
//   - source maps and TypeScript declaration files, which Node never reads.
// Usage: node scripts/prune-image-modules.mjs <node_modules dir> — prints what it removed, by rule.
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';

const DECLARATIONS_AND_MAPS = /(\.d\.[cm]?ts|\.map)$/;

/** Bytes under `path` (files only, symbolic links not followed). */
function sizeOf(path) {
  const stat = lstatSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}

function remove(paths, removed, rule) {
  for (const path of paths.filter((p) => existsSync(p))) {
    removed.push({ rule, path, bytes: sizeOf(path) });
    rmSync(path, { recursive: true, force: true });
  }
}

/** onnxruntime-node/bin/napi-v*\/<platform>/<arch>: keep only the platform this build runs on. */
function otherPlatformBinaries(modules, platform, arch) {
  const bin = join(modules, 'onnxruntime-node', 'bin');
  if (!existsSync(bin)) return [];
  const found = [];
  for (const napi of readdirSync(bin)) {
    for (const os of readdirSync(join(bin, napi))) {
      for (const cpu of readdirSync(join(bin, napi, os))) {
        if (os !== platform || cpu !== arch) found.push(join(bin, napi, os, cpu));
      }
    }
  }
  return found;
}

/** The files Node loads for a package (its `exports` "node" conditions, else `main`). */
function nodeEntryFiles(packageDir) {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const node = manifest.exports?.node ?? manifest.exports?.['.']?.node;
  const targets = node ? [node.import?.default ?? node.import, node.require?.default ?? node.require] : [manifest.main];
  return targets.filter((t) => typeof t === 'string').map((t) => join(packageDir, t));
}

/** Throws when a package that stays loads `name` at run time (so removing it would break that package). */
export function assertNotLoaded(modules, name, loaders) {
  // require(…), createRequire-style helpers (requireFromHere(…)), static and dynamic imports.
  const pattern = new RegExp(
    `(?:\\w*require\\w*\\(|\\bfrom\\s*|\\bimport\\s*\\()\\s*["']${name.replace(/[/.-]/g, '\\$&')}["'/]`,
    'i',
  );
  for (const loader of loaders) {
    const dir = join(modules, loader);
    if (!existsSync(dir)) continue;
    for (const file of nodeEntryFiles(dir)) {
      if (pattern.test(readFileSync(file, 'utf8'))) {
        throw new Error(`${relative(modules, file)} loads ${name}: it cannot be pruned from the image any more`);
      }
    }
  }
}

function filesMatching(dir, pattern, found = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = lstatSync(path);
    if (stat.isDirectory()) filesMatching(path, pattern, found);
    else if (stat.isFile() && pattern.test(name)) found.push(path);
  }
  return found;
}

export function pruneImageModules(modules, { platform = process.platform, arch = process.arch } = {}) {
  const removed = [];
  remove(otherPlatformBinaries(modules, platform, arch), removed, 'onnxruntime-node: other platforms');
  assertNotLoaded(modules, 'onnxruntime-web', ['@huggingface/transformers']);
  remove([join(modules, 'onnxruntime-web')], removed, 'onnxruntime-web (unused by the Node build)');
  remove([join(modules, 'typescript')], removed, 'typescript (optional peer, build time only)');
  const sqlite = join(modules, 'better-sqlite3');
  if (existsSync(join(sqlite, 'build', 'Release', 'better_sqlite3.node'))) {
    const release = join(sqlite, 'build', 'Release');
    const leftovers = readdirSync(release)
      .filter((name) => name !== 'better_sqlite3.node')
      .map((name) => join(release, name));
    remove([...leftovers, join(sqlite, 'deps'), join(sqlite, 'src')], removed, 'better-sqlite3: build leftovers');
  }
  remove(filesMatching(modules, DECLARATIONS_AND_MAPS), removed, 'source maps and type declarations');
  return removed;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const modules = process.argv[2];
  if (!modules || !existsSync(modules)) {
    console.error('usage: node scripts/prune-image-modules.mjs <node_modules dir>');
    process.exit(64);
  }
  const byRule = new Map();
  for (const { rule, bytes } of pruneImageModules(modules)) byRule.set(rule, (byRule.get(rule) ?? 0) + bytes);
  for (const [rule, bytes] of byRule) console.log(`pruned ${(bytes / 2 ** 20).toFixed(1)} MiB: ${rule}`);
}
