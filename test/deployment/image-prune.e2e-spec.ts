import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, tempDir } from '../process-harness';

const SCRIPT = join(ROOT, 'scripts', 'prune-image-modules.mjs');

/** A node_modules with the shapes the prune rules act on, each file a few bytes. */
function fixture(transformersNodeEntry: string): string {
  const modules = join(tempDir(), 'node_modules');
  const files: Record<string, string> = {
    'onnxruntime-node/package.json': '{"main":"dist/index.js"}',
    'onnxruntime-node/dist/index.js': 'module.exports = {};',
    'onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node': 'linux-x64',
    'onnxruntime-node/bin/napi-v6/linux/arm64/onnxruntime_binding.node': 'linux-arm64',
    'onnxruntime-node/bin/napi-v6/darwin/arm64/onnxruntime_binding.node': 'darwin',
    'onnxruntime-node/bin/napi-v6/win32/x64/onnxruntime_binding.node': 'windows',
    'onnxruntime-web/dist/ort-wasm-simd-threaded.wasm': 'wasm',
    '@huggingface/transformers/package.json': JSON.stringify({
      exports: {
        node: { import: { default: './dist/node.mjs' }, require: { default: './dist/node.cjs' } },
        default: { default: './dist/web.js' },
      },
    }),
    '@huggingface/transformers/dist/node.mjs': 'import ort from "onnxruntime-node";',
    '@huggingface/transformers/dist/node.cjs': transformersNodeEntry,
    '@huggingface/transformers/dist/web.js': 'import * as ort from "onnxruntime-web";',
    'typescript/lib/typescript.js': 'tsc',
    'better-sqlite3/lib/index.js': 'require("bindings")("better_sqlite3.node")',
    'better-sqlite3/build/Release/better_sqlite3.node': 'addon',
    'better-sqlite3/build/Release/sqlite3.a': 'archive',
    'better-sqlite3/build/Release/obj/gen/sqlite3.c': 'source',
    'better-sqlite3/deps/sqlite3/sqlite3.c': 'source',
    'better-sqlite3/src/better_sqlite3.cpp': 'source',
    'zod/index.js': 'js',
    'zod/index.d.ts': 'declarations',
    'zod/index.d.cts': 'declarations',
    'zod/index.js.map': 'map',
    'zod/LICENSE': 'license',
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(modules, path)), { recursive: true });
    writeFileSync(join(modules, path), content);
  }
  return modules;
}

describe('scripts/prune-image-modules.mjs (the image build drops what Node never loads)', () => {
  it('keeps the running platform onnxruntime build, the addon and the code, and drops the rest', async () => {
    const { pruneImageModules } = await import(SCRIPT);
    const modules = fixture('const ort = require("onnxruntime-node");');
    const removed = pruneImageModules(modules, { platform: 'linux', arch: 'x64' });
    const kept = [
      'onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
      'onnxruntime-node/dist/index.js',
      '@huggingface/transformers/dist/node.cjs',
      'better-sqlite3/build/Release/better_sqlite3.node',
      'better-sqlite3/lib/index.js',
      'zod/index.js',
      'zod/LICENSE',
    ];
    for (const path of kept) assert.ok(existsSync(join(modules, path)), `${path} kept`);
    const gone = [
      'onnxruntime-node/bin/napi-v6/linux/arm64',
      'onnxruntime-node/bin/napi-v6/darwin/arm64',
      'onnxruntime-node/bin/napi-v6/win32/x64',
      'onnxruntime-web',
      'typescript',
      'better-sqlite3/build/Release/sqlite3.a',
      'better-sqlite3/build/Release/obj',
      'better-sqlite3/deps',
      'better-sqlite3/src',
      'zod/index.d.ts',
      'zod/index.d.cts',
      'zod/index.js.map',
    ];
    for (const path of gone) assert.ok(!existsSync(join(modules, path)), `${path} removed`);
    assert.ok(removed.every((entry: { bytes: number }) => entry.bytes > 0));
  });

  it('keeps the other architecture build on an arm64 image build', async () => {
    const { pruneImageModules } = await import(SCRIPT);
    const modules = fixture('');
    pruneImageModules(modules, { platform: 'linux', arch: 'arm64' });
    assert.ok(existsSync(join(modules, 'onnxruntime-node/bin/napi-v6/linux/arm64/onnxruntime_binding.node')));
    assert.ok(!existsSync(join(modules, 'onnxruntime-node/bin/napi-v6/linux/x64')));
  });

  it('refuses to drop onnxruntime-web once transformers.js loads it on Node', async () => {
    const { pruneImageModules } = await import(SCRIPT);
    const modules = fixture('const web = require("onnxruntime-web");');
    assert.throws(() => pruneImageModules(modules, { platform: 'linux', arch: 'x64' }), /loads onnxruntime-web/);
    assert.ok(existsSync(join(modules, 'onnxruntime-web/dist/ort-wasm-simd-threaded.wasm')));
  });

  it('finds that the installed transformers.js does not load onnxruntime-web on Node', async () => {
    const { assertNotLoaded } = await import(SCRIPT);
    const modules = join(ROOT, 'node_modules');
    assert.doesNotThrow(() => assertNotLoaded(modules, 'onnxruntime-web', ['@huggingface/transformers']));
    assert.throws(() => assertNotLoaded(modules, 'onnxruntime-node', ['@huggingface/transformers']), /loads/);
  });
});
