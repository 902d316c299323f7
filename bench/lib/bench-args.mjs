/**
 * The command line of bench/run.mjs and the plan it implies: sizes, sentences embedded, queries and
 * ingest count, per storage backend. Throws with a message naming the problem; run.mjs prints it.
 */
import { parseArgs } from 'node:util';
import { parseStorageBackend } from './storage-backend.mjs';

const SCALES = { '100k': [10_000, 100_000], '1m': [10_000, 100_000, 1_000_000] };

/**
 * PostgreSQL runs on PGlite here, one statement at a time in the bench process: 10k memories (2k quick)
 * finish in minutes on two shared cores, where 100k would take the better part of an hour.
 */
const POSTGRES_PLANS = {
  full: { sizes: [10_000], sentences: 4_000, queries: 200, ingest: 2_000, concurrencyAt: 10_000 },
  quick: { sizes: [2_000], sentences: 2_000, queries: 100, ingest: 500, concurrencyAt: 2_000 },
};

export function parseBenchArgs(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      storage: { type: 'string', default: 'sqlite' },
      scale: { type: 'string' },
      name: { type: 'string' },
      /** Conditions of the run worth printing beside its figures, e.g. other load on the machine. */
      note: { type: 'string' },
    },
  });
  const storage = parseStorageBackend(values.storage);
  const quick = values.quick;
  if (storage === 'postgres' && values.scale !== undefined) {
    throw new Error(
      '--scale is for --storage sqlite; on PostgreSQL (PGlite) the bench runs at 10k memories (2k with --quick)',
    );
  }
  const scale = values.scale ?? '100k';
  if (!SCALES[scale]) throw new Error(`--scale must be one of ${Object.keys(SCALES).join(', ')}`);
  let plan;
  if (storage === 'postgres') plan = quick ? POSTGRES_PLANS.quick : POSTGRES_PLANS.full;
  else if (quick)
    plan = { sizes: [10_000, 30_000], sentences: 2_000, queries: 100, ingest: 1_000, concurrencyAt: 30_000 };
  else plan = { sizes: SCALES[scale], sentences: 4_000, queries: 200, ingest: 4_000, concurrencyAt: 100_000 };
  const base = storage === 'postgres' ? 'engram-postgres' : 'engram';
  return { quick, storage, scale, plan, note: values.note, name: values.name ?? (quick ? `${base}-quick` : base) };
}
