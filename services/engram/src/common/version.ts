import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The service package's version, read once (dist/common → the package root). */
export const ENGRAM_VERSION: string = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }
).version;
