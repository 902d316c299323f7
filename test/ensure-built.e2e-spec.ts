import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, tempDir } from './process-harness';

/**
 * A checkout as scripts/ensure-built.mjs sees it, in a folder of its own: the script itself, the service's
 * sources, and stand-ins for TypeScript's compiler and the dashboard's build that only record that they ran
 * (the real ones take minutes; what is tested is when the script builds and what it tells the user).
 */
function standInCheckout(): string {
  const root = tempDir('engram-ensure-built-');
  const service = join(root, 'services', 'engram');
  mkdirSync(join(root, 'scripts'));
  copyFileSync(join(ROOT, 'scripts', 'ensure-built.mjs'), join(root, 'scripts', 'ensure-built.mjs'));
  mkdirSync(join(service, 'src', 'events'), { recursive: true });
  writeFileSync(join(service, 'src', 'main.ts'), 'export {};\n');
  writeFileSync(join(service, 'src', 'events', 'engram-event.ts'), 'export {};\n');
  writeFileSync(join(service, 'tsconfig.json'), '{}\n');
  writeFileSync(join(service, 'package.json'), '{}\n');
  mkdirSync(join(root, 'node_modules', 'typescript', 'bin'), { recursive: true });
  writeFileSync(
    join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
    `const { mkdirSync, writeFileSync } = require('node:fs');
     mkdirSync(${JSON.stringify(join(service, 'dist'))}, { recursive: true });
     writeFileSync(${JSON.stringify(join(service, 'dist', '.tsbuildinfo'))}, '{}');`,
  );
  mkdirSync(join(service, 'dashboard'));
  writeFileSync(
    join(service, 'dashboard', 'build.mjs'),
    `import { mkdirSync, writeFileSync } from 'node:fs';
     mkdirSync(${JSON.stringify(join(service, 'dist', 'public'))}, { recursive: true });
     writeFileSync(${JSON.stringify(join(service, 'dist', 'public', 'index.html'))}, '');`,
  );
  return root;
}

/** What `npm start` prints before it boots, from running the script in `root`. */
function ensureBuilt(root: string): string {
  const { status, stderr } = spawnSync(process.execPath, [join(root, 'scripts', 'ensure-built.mjs')], {
    encoding: 'utf8',
  });
  assert.equal(status, 0, stderr);
  return stderr;
}

describe('npm start builds only what changed, and says why', () => {
  it('says a first build is one, rebuilds after a source changes, and goes straight on when nothing did', () => {
    const root = standInCheckout();
    const first = ensureBuilt(root);
    assert.match(first, /^Building the service for the first time/m);
    assert.doesNotMatch(first, /sources changed/, 'nothing changed before a first build');
    assert.match(first, /^Building the dashboard/m);

    assert.equal(ensureBuilt(root), '', 'built and unchanged: nothing to say, nothing to build');

    const later = new Date(Date.now() + 5_000);
    utimesSync(join(root, 'services', 'engram', 'src', 'main.ts'), later, later);
    const again = ensureBuilt(root);
    assert.match(again, /^Building the service \(its sources changed since the last build\)/m);
    assert.doesNotMatch(again, /first time|dashboard/);
  });
});
