/** The built service (services/engram/dist, CommonJS), loaded from the ES-module bench scripts. */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** ENGRAM_DIST points the benchmarks at another build (e.g. a private one beside the shared dist). */
export const DIST = process.env.ENGRAM_DIST ?? join(ROOT, 'services', 'engram', 'dist');
const require = createRequire(import.meta.url);

export const fromDist = (path) => require(join(DIST, path));
