// `npm run test:postgres [-- <substring> ...]`: every spec that reaches a PostgreSQL server, run against a
// real one instead of PGlite, so sessions are concurrent as replicas' are. The server is
// ENGRAM_TEST_POSTGRES_URL when set (pgvector installed, a role that may create databases), else a new
// cluster on this machine's postgresql-15 binaries, which needs pgvector built into them
// (docs/development.md). Substrings narrow the specs as `npm test`'s do.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
// The test helpers that hand out a PostgreSQL server; a spec reaching one of them, through any import or by
// name (an end-to-end spec loads them with serviceHelper('testing/real-postgres.js'), which no require shows), runs.
const SERVER_HELPERS = /postgres-test-server|native-postgres-server|real-postgres/;

function findFiles(dir, suffix) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findFiles(path, suffix);
    return name.endsWith(suffix) ? [path] : [];
  });
}

/** Compiled files that name a server helper, directly or through the relative modules they require. */
function reachesPostgres(files) {
  const requires = new Map(
    files.map((file) => {
      const text = readFileSync(file, 'utf8');
      const relatives = [...text.matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)].map(([, path]) =>
        resolve(dirname(file), path.endsWith('.js') ? path : `${path}.js`),
      );
      return [file, { named: SERVER_HELPERS.test(text), relatives }];
    }),
  );
  const reaching = new Map();
  const visit = (file, seen = new Set()) => {
    if (reaching.has(file)) return reaching.get(file);
    const entry = requires.get(file);
    if (!entry || seen.has(file)) return false;
    seen.add(file);
    const answer = entry.named || entry.relatives.some((next) => visit(next, seen));
    reaching.set(file, answer);
    return answer;
  };
  return files.filter((file) => visit(file));
}

execFileSync(
  process.execPath,
  [tsc, '-b', join(root, 'services/engram/tsconfig.json'), join(root, 'test/tsconfig.json')],
  {
    stdio: 'inherit',
  },
);
const compiled = [
  ...findFiles(join(root, 'services/engram/dist'), '.js'),
  ...findFiles(join(root, 'test/dist'), '.js'),
];
const filter = process.argv.slice(2);
const specs = reachesPostgres(compiled)
  .filter((file) => file.endsWith('.spec.js') || file.endsWith('.e2e-spec.js'))
  .map((file) => relative(root, file))
  .filter((file) => filter.length === 0 || filter.some((part) => file.includes(part)));
if (specs.length === 0) {
  console.error(`npm run test:postgres: no PostgreSQL spec matches ${filter.map((part) => `"${part}"`).join(', ')}`);
  process.exit(1);
}

const require = createRequire(import.meta.url);
const native = require(join(root, 'services/engram/dist/testing/native-postgres-server.js'));
let server;
if (!process.env.ENGRAM_TEST_POSTGRES_URL) {
  if (!native.nativePgvectorInstalled()) {
    console.error('npm run test:postgres: pgvector is not installed for postgresql-15 (docs/development.md)');
    process.exit(1);
  }
  server = await native.startNativePostgres();
}
const url = process.env.ENGRAM_TEST_POSTGRES_URL ?? server.url;
console.error(`npm run test:postgres: ${specs.length} spec files on ${url.replace(/\/\/[^@]*@/, '//')}`);
// Spawned, not run synchronously: this process must keep reading the cluster's log while the specs run.
const tests = spawn(process.execPath, [join(root, 'scripts/test.mjs'), ...specs], {
  stdio: 'inherit',
  cwd: root,
  env: { ...process.env, ENGRAM_TEST_POSTGRES_URL: url },
});
const [status] = await once(tests, 'exit');
await server?.close();
process.exit(status ?? 1);
