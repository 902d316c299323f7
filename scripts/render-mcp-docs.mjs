// Rewrites the generated tool reference in docs/mcp.md from the built catalog (npm run docs:mcp).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(process.execPath, [join(root, 'scripts', 'ensure-built.mjs')], { stdio: 'inherit' });
const require = createRequire(import.meta.url);
const { renderToolReference, REFERENCE_START, REFERENCE_END } = require(
  join(root, 'services', 'engram', 'dist', 'mcp', 'tool-reference.js'),
);
const docPath = join(root, 'docs', 'mcp.md');
const doc = readFileSync(docPath, 'utf8');
const start = doc.indexOf(REFERENCE_START);
const end = doc.indexOf(REFERENCE_END);
if (start < 0 || end < start) throw new Error(`docs/mcp.md lacks the markers ${REFERENCE_START} … ${REFERENCE_END}`);
writeFileSync(docPath, doc.slice(0, start) + renderToolReference() + doc.slice(end + REFERENCE_END.length));
console.log('docs/mcp.md: tool reference rewritten');
