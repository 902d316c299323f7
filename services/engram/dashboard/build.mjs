#!/usr/bin/env node
// Bundles the dashboard (src/, lit + TypeScript) into the static files the api serves at /:
// index.html, app.js, app.css in services/engram/dist/public (or --outdir). No CDN: everything is local.
//   node services/engram/dashboard/build.mjs [--outdir <dir>] [--check]   (--check also type-checks)
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: { outdir: { type: 'string' }, check: { type: 'boolean', default: false } },
});
const outdir = resolve(args.outdir ?? join(here, '..', 'dist', 'public'));

if (args.check) {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(here, 'tsconfig.json')], { stdio: 'inherit' });
}

// Built beside the target and swapped in, so a running server never serves half a build.
const staging = `${outdir}.tmp`;
rmSync(staging, { recursive: true, force: true });
mkdirSync(staging, { recursive: true });
await esbuild.build({
  entryPoints: [join(here, 'src', 'main.ts')],
  outfile: join(staging, 'app.js'),
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(join(here, 'src', 'index.html'), join(staging, 'index.html'));
rmSync(outdir, { recursive: true, force: true });
renameSync(staging, outdir);
