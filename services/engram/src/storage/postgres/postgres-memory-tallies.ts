import { TallyFacet, TallyRow } from '../memory-tallies';
import { Queryable } from './postgres.database';

/**
 * Statements that change some tally between two folds of their changes into memory_tallies; between
 * folds a read adds up the change rows left, a few hundred at most for ordinary writes.
 */
const FOLD_EVERY = 64;

/** The facets (memory-tallies.ts) of each memory row of `rows`, its tags read from memory_tags; signed. */
export function facetsOf(rows: string, sign: string, withTags = true): string {
  const facets = `SELECT r.namespace, f.facet, f.key, ${sign} AS n FROM ${rows} r CROSS JOIN LATERAL (
      SELECT 'live', '' WHERE r.deleted_at IS NULL
      UNION ALL SELECT 'current', '' WHERE r.deleted_at IS NULL AND r.superseded_by IS NULL
      UNION ALL SELECT 'deleted', '' WHERE r.deleted_at IS NOT NULL
      UNION ALL SELECT 'type', r.memory_type WHERE r.deleted_at IS NULL) f (facet, key)`;
  if (!withTags) return facets;
  return `${facets} UNION ALL SELECT r.namespace, 'tag', t.tag, ${sign} FROM ${rows} r
      JOIN memory_tags t ON t.memory_id = r.id WHERE r.deleted_at IS NULL`;
}

/** Each tag row of `rows` whose memory is live, signed, in its memory's namespace. */
export const liveTagsOf = (rows: string, sign: string) =>
  `SELECT m.namespace, 'tag', r.tag, ${sign} FROM ${rows} r JOIN memories m ON m.id = r.memory_id
     WHERE m.deleted_at IS NULL`;

/** A trigger function adding the summed `changes` (namespace, facet, key, n) as change rows; replaced if there. */
export function tallyTrigger(name: string, changes: string): string {
  return `CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE changed bigint;
    BEGIN
      INSERT INTO memory_tally_changes (namespace, facet, key, n)
        SELECT namespace, facet, key, sum(n) FROM (${changes}) c (namespace, facet, key, n)
        GROUP BY namespace, facet, key HAVING sum(n) <> 0;
      GET DIAGNOSTICS changed = ROW_COUNT;
      IF changed > 0 AND nextval('memory_tally_writes') % ${FOLD_EVERY} = 0
        AND pg_try_advisory_xact_lock(hashtext('engram.memory_tallies'), 0) THEN
        PERFORM engram_fold_memory_tallies();
      END IF;
      RETURN NULL;
    END $$;`;
}

/**
 * PostgreSQL migration 20: memory_tallies and the triggers that keep it. Writers never update a shared
 * row, which would serialise every writer of a namespace until its commit: each statement adds its
 * changes, summed, as rows of its own to memory_tally_changes, and one statement in FOLD_EVERY folds every
 * committed change into memory_tallies inside its transaction, unless another fold holds the lock (a later
 * one folds then). A read adds both tables, so it is exact whenever folds run. Inserts, updates and
 * deletes are counted per statement (transition tables), so a restore's bulk statements add a few rows
 * each. A memory deleted for good loses its tags to the cascade once it is gone, when a tag row no longer
 * shows whose it was: the tags of a live one are uncounted row by row before the delete. A tag row counts
 * while its memory is live; a memory changing namespace, type or state moves its counts (updates count
 * the old row out and the new one in).
 */
export const POSTGRES_MEMORY_TALLIES = `
  CREATE TABLE memory_tallies (
    namespace text   NOT NULL,
    facet     text   NOT NULL,
    key       text   NOT NULL, -- the type or tag; '' for the totals
    n         bigint NOT NULL,
    PRIMARY KEY (namespace, facet, key)
  );
  CREATE TABLE memory_tally_changes (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    namespace text   NOT NULL,
    facet     text   NOT NULL,
    key       text   NOT NULL,
    n         bigint NOT NULL
  );
  CREATE INDEX memory_tally_changes_namespace ON memory_tally_changes (namespace, facet);
  CREATE SEQUENCE memory_tally_writes;

  CREATE FUNCTION engram_fold_memory_tallies() RETURNS void LANGUAGE sql AS $$
    WITH folded AS (DELETE FROM memory_tally_changes RETURNING namespace, facet, key, n)
    INSERT INTO memory_tallies (namespace, facet, key, n)
      SELECT namespace, facet, key, sum(n) FROM folded GROUP BY namespace, facet, key
    ON CONFLICT (namespace, facet, key) DO UPDATE SET n = memory_tallies.n + excluded.n;
    DELETE FROM memory_tallies WHERE n = 0;
  $$;

  ${tallyTrigger('engram_tally_inserted_memories', facetsOf('new_rows', '1'))}
  ${tallyTrigger('engram_tally_updated_memories', `${facetsOf('old_rows', '-1')} UNION ALL ${facetsOf('new_rows', '1')}`)}
  ${tallyTrigger('engram_tally_deleted_memories', facetsOf('old_rows', '-1', false))}
  ${tallyTrigger('engram_tally_inserted_tags', liveTagsOf('new_rows', '1'))}
  ${tallyTrigger('engram_tally_deleted_tags', liveTagsOf('old_rows', '-1'))}
  ${tallyTrigger('engram_tally_updated_tags', `${liveTagsOf('old_rows', '-1')} UNION ALL ${liveTagsOf('new_rows', '1')}`)}
  CREATE FUNCTION engram_untally_tags_of_deleted_memory() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO memory_tally_changes (namespace, facet, key, n)
        SELECT OLD.namespace, 'tag', t.tag, -1 FROM memory_tags t WHERE t.memory_id = OLD.id;
      RETURN OLD;
    END $$;
  CREATE FUNCTION engram_forget_memory_tallies() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM memory_tallies WHERE TG_TABLE_NAME = 'memories' OR facet = 'tag';
      DELETE FROM memory_tally_changes WHERE TG_TABLE_NAME = 'memories' OR facet = 'tag';
      RETURN NULL;
    END $$;

  CREATE TRIGGER memories_tally_insert AFTER INSERT ON memories REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION engram_tally_inserted_memories();
  CREATE TRIGGER memories_tally_update AFTER UPDATE ON memories
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION engram_tally_updated_memories();
  CREATE TRIGGER memories_tally_delete AFTER DELETE ON memories REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION engram_tally_deleted_memories();
  CREATE TRIGGER memories_tally_delete_tags BEFORE DELETE ON memories
    FOR EACH ROW WHEN (OLD.deleted_at IS NULL) EXECUTE FUNCTION engram_untally_tags_of_deleted_memory();
  CREATE TRIGGER memories_tally_truncate AFTER TRUNCATE ON memories
    FOR EACH STATEMENT EXECUTE FUNCTION engram_forget_memory_tallies();
  CREATE TRIGGER memory_tags_tally_insert AFTER INSERT ON memory_tags REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION engram_tally_inserted_tags();
  CREATE TRIGGER memory_tags_tally_delete AFTER DELETE ON memory_tags REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION engram_tally_deleted_tags();
  CREATE TRIGGER memory_tags_tally_update AFTER UPDATE ON memory_tags
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION engram_tally_updated_tags();
  CREATE TRIGGER memory_tags_tally_truncate AFTER TRUNCATE ON memory_tags
    FOR EACH STATEMENT EXECUTE FUNCTION engram_forget_memory_tallies();

  INSERT INTO memory_tallies (namespace, facet, key, n)
    SELECT namespace, facet, key, count(*) FROM (${facetsOf('memories', '1')}) c (namespace, facet, key, n)
    GROUP BY namespace, facet, key;
`;

/**
 * The namespace's tallies of the given facets: the folded counts plus the changes not folded yet, zero
 * counts left out, largest first with ties by key (`collation` for the key's order).
 */
export async function namespaceTallies(
  db: Queryable,
  namespace: string,
  facets: readonly TallyFacet[],
  collation = '',
): Promise<TallyRow[]> {
  return db.query<TallyRow>(
    `SELECT facet, key, sum(n)::bigint AS n FROM (
       SELECT facet, key, n FROM memory_tallies WHERE namespace = $1 AND facet = ANY($2::text[])
       UNION ALL
       SELECT facet, key, n FROM memory_tally_changes WHERE namespace = $1 AND facet = ANY($2::text[])
     ) t GROUP BY facet, key HAVING sum(n) <> 0 ORDER BY n DESC, key ${collation}`,
    [namespace, facets],
  );
}

/** One facet's total across every namespace. */
export async function storeTotal(db: Queryable, facet: TallyFacet): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    `SELECT coalesce(sum(n), 0)::bigint AS n FROM (
       SELECT n FROM memory_tallies WHERE facet = $1 AND key = ''
       UNION ALL SELECT n FROM memory_tally_changes WHERE facet = $1 AND key = '') t`,
    [facet],
  );
  return row.n;
}

/** The namespace's tallies of the given facets and keys (0 for those it has none of), folded or not. */
export async function talliesOf(
  db: Queryable,
  namespace: string,
  wanted: readonly { facet: TallyFacet; key: string }[],
): Promise<(facet: TallyFacet, key?: string) => number> {
  const rows = await db.query<TallyRow>(
    `SELECT facet, key, sum(n)::bigint AS n FROM (
       SELECT facet, key, n FROM memory_tallies
       WHERE namespace = $1 AND (facet, key) IN (SELECT * FROM unnest($2::text[], $3::text[]))
       UNION ALL
       SELECT facet, key, n FROM memory_tally_changes
       WHERE namespace = $1 AND (facet, key) IN (SELECT * FROM unnest($2::text[], $3::text[]))
     ) t GROUP BY facet, key`,
    [namespace, wanted.map((want) => want.facet), wanted.map((want) => want.key)],
  );
  const counts = new Map(rows.map((row) => [`${row.facet}\u0000${row.key}`, row.n]));
  return (facet, key = '') => counts.get(`${facet}\u0000${key}`) ?? 0;
}
