// `npm test`: installs what the suites need, builds, then runs with node's test runner every unit and
// integration spec (services/engram/src/**/*.spec.ts), every whole-stack spec (test/**/*.e2e-spec.ts) and
// the benchmark tools' own tests (bench/**/*.test.mjs). The run gets a temporary folder of its own (TMPDIR),
// and fails if the specs leave anything in it (scripts/test-leftovers.mjs).
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSystemPackages } from './system-packages.mjs';
import { makeRunTmpdir, reportLeftovers } from './test-leftovers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

function findFiles(dir, suffix) {
  let found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found = found.concat(findFiles(path, suffix));
    else if (name.endsWith(suffix)) found.push(path);
  }
  return found;
}

ensureSystemPackages();
execFileSync(
  process.execPath,
  [tsc, '-b', join(root, 'services/engram/tsconfig.json'), join(root, 'test/tsconfig.json')],
  {
    stdio: 'inherit',
  },
);

// The dashboard: type-checked and bundled into services/engram/dist/public, which the api serves at /.
execFileSync(process.execPath, [join(root, 'services/engram/dashboard/build.mjs'), '--check'], { stdio: 'inherit' });

const filter = process.argv.slice(2);
const specs = [
  ...findFiles(join(root, 'services/engram/dist'), '.spec.js'),
  ...findFiles(join(root, 'test/dist'), '.e2e-spec.js'),
  ...findFiles(join(root, 'bench'), '.test.mjs'),
  // Matched against the path inside the repository, so the checkout's own folder names never match.
].filter((file) => filter.length === 0 || filter.some((part) => relative(root, file).includes(part)));
if (specs.length === 0) {
  // An empty list would make node's runner look for tests everywhere: say so instead.
  console.error(`npm test: no spec file matches ${filter.map((part) => `"${part}"`).join(', ')}`);
  process.exit(1);
}

const runTmp = makeRunTmpdir();
const tests = spawn(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=300000', ...specs], {
  stdio: 'inherit',
  cwd: root,
  env: { ...process.env, TMPDIR: runTmp },
});
// Ctrl-C reaches the specs too (one process group); a signal sent to this process alone is passed on.
// Either way the run ends through the check below, so its folder never outlives it.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => tests.kill(signal));
const [status] = await once(tests, 'exit');
const leftOver = reportLeftovers(runTmp);
process.exit(leftOver ? 1 : (status ?? 1));
