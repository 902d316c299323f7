/**
 * A writer for the ANN crash spec: ingests, updates and deletes memories of namespace `main` in a
 * loop, searching between writes so the ANN index catches up and saves often, until it is killed.
 * On stdout (synchronous for a pipe on Linux) it reports each write after its commit, and each update
 * or delete also before it, so the parent knows which outcomes are certain:
 *   ack <id> <seed>   inserted, vector seededVector(seed)
 *   updating <id> / upd <id> <seed>
 *   deleting <id> / del <id>
 * Usage: node ann-ingest.child.js <dir> <first seed>
 */
import { openAnnTestStore, seededMemory, seededVector } from './ann-store';

async function main(): Promise<void> {
  const [dir, firstSeed] = process.argv.slice(2);
  const store = openAnnTestStore(dir, { saveEveryChanges: 32 });
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const live: number[] = [];
  let seed = Number(firstSeed);
  for (let round = 0; ; round++) {
    const batch = Array.from({ length: 1 + (round % 13) }, () => seededMemory(seed++, 'main'));
    const outcomes = store.memories.insertMany(batch);
    outcomes.forEach((outcome, i) => {
      live.push(outcome.memory.id);
      say(`ack ${outcome.memory.id} ${seed - batch.length + i}`);
    });
    if (round % 3 === 0 && live.length > 0) {
      const [id] = live.splice((round * 7919) % live.length, 1);
      say(`deleting ${id}`);
      if (round % 2 === 0) store.memories.softDelete(id, Date.now());
      else store.memories.hardDelete(id);
      say(`del ${id}`);
    }
    if (round % 5 === 0 && live.length > 0) {
      const id = live[(round * 104729) % live.length];
      const newSeed = seed++;
      say(`updating ${id}`);
      store.memories.update(id, 'main', { embedding: seededVector(newSeed), updatedAt: Date.now() });
      say(`upd ${id} ${newSeed}`);
    }
    await store.search.vectorCandidates(seededVector(round), { namespace: 'main' }, 10);
    // A turn for the index's catch-up and saves, which run between events as in the service.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

void main();
