import { facetsOf } from './postgres-memory-tallies';
import { Queryable } from './postgres.database';

/** Turned on for one transaction (set_config's is_local), it sets migration 20's tally triggers aside. */
const DEFERRED = 'engram.tallies_deferred';

/** The triggers' condition: they count unless their transaction deferred its tallies. */
export const COUNTING = `current_setting('${DEFERRED}', true) IS DISTINCT FROM 'on'`;

/** Migration 20's trigger `name`, created again as it was but for `COUNTING` in its WHEN. */
function counting(name: string, table: string, fires: string, run: string, when = COUNTING): string {
  return `DROP TRIGGER ${name} ON ${table};
    CREATE TRIGGER ${name} ${fires} WHEN (${when}) EXECUTE FUNCTION ${run}();`;
}

/**
 * PostgreSQL migration 21: a rewrite of the whole store (a backup's restore) defers the tallies and
 * recounts them once. Migration 20's triggers fire for every statement, and the foreign key's cascade
 * deletes each memory's tags in a statement of its own, so a restore's delete of every memory ran two tally
 * triggers per memory (the row trigger uncounting a live one's tags, the tag delete's statement trigger):
 * with them a restore of 100,000 memories went from 98 to 134 s. Their WHEN now skips them in a transaction that
 * turned `engram.tallies_deferred` on, and engram_recount_memory_tallies counts every tally afresh from
 * the memories inside that transaction, under a lock that keeps writers of memories out meanwhile.
 */
export const POSTGRES_DEFERRABLE_TALLIES = `
  ${counting('memories_tally_insert', 'memories', 'AFTER INSERT ON memories REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT', 'engram_tally_inserted_memories')}
  ${counting('memories_tally_update', 'memories', 'AFTER UPDATE ON memories REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT', 'engram_tally_updated_memories')}
  ${counting('memories_tally_delete', 'memories', 'AFTER DELETE ON memories REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT', 'engram_tally_deleted_memories')}
  ${counting('memories_tally_delete_tags', 'memories', 'BEFORE DELETE ON memories FOR EACH ROW', 'engram_untally_tags_of_deleted_memory', `OLD.deleted_at IS NULL AND ${COUNTING}`)}
  ${counting('memory_tags_tally_insert', 'memory_tags', 'AFTER INSERT ON memory_tags REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT', 'engram_tally_inserted_tags')}
  ${counting('memory_tags_tally_delete', 'memory_tags', 'AFTER DELETE ON memory_tags REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT', 'engram_tally_deleted_tags')}
  ${counting('memory_tags_tally_update', 'memory_tags', 'AFTER UPDATE ON memory_tags REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT', 'engram_tally_updated_tags')}

  CREATE FUNCTION engram_recount_memory_tallies() RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      -- Writers of memories (every write counted here writes a memory row) wait until the commit: no change
      -- row of theirs is left out of the recount or counted twice. Held already by a restore.
      LOCK TABLE memories IN SHARE ROW EXCLUSIVE MODE;
      PERFORM set_config('${DEFERRED}', 'off', true);
      DELETE FROM memory_tally_changes;
      DELETE FROM memory_tallies;
      INSERT INTO memory_tallies (namespace, facet, key, n)
        SELECT namespace, facet, key, count(*) FROM (${facetsOf('memories', '1')}) c (namespace, facet, key, n)
        GROUP BY namespace, facet, key;
    END $$;
`;

/**
 * Runs `rewrite`, statements that replace every memory in the caller's transaction, with the tally
 * triggers set aside, then recounts every tally from the memories in the same transaction (migration 21):
 * readers elsewhere see the old memories with the old tallies until the commit, the new ones with the new
 * after it. A rewrite that fails rolls the setting back with the rest.
 */
export async function withTalliesRecounted<T>(client: Queryable, rewrite: () => Promise<T>): Promise<T> {
  await client.query(`SELECT set_config('${DEFERRED}', 'on', true)`);
  const result = await rewrite();
  await client.query('SELECT engram_recount_memory_tallies()');
  return result;
}
