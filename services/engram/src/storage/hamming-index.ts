/**
 * 1-bit quantised vectors held in memory, scanned by Hamming distance to pick search candidates.
 * sqlite-vec's KNN over bit vectors slows sharply as k grows (k=1000 over 100k rows took ~600 ms here);
 * a popcount scan with a counting sort over the few possible distances costs the same for any k,
 * a few milliseconds at 100k memories, and 64 bytes per 512-dimension memory.
 */
export class HammingIndex {
  private readonly wordsPerVector: number;
  private words: Uint32Array;
  private ids: Float64Array;
  /** Index of each slot's namespace in `namespaceIds`; 32 bits, so any number of namespaces stays distinct. */
  private namespaceOf: Uint32Array;
  private readonly namespaceIds = new Map<string, number>();
  private readonly slotById = new Map<number, number>();
  private size = 0;

  constructor(readonly bytesPerVector: number) {
    this.wordsPerVector = Math.ceil(bytesPerVector / 4);
    this.words = new Uint32Array(0);
    this.ids = new Float64Array(0);
    this.namespaceOf = new Uint32Array(0);
  }

  get count(): number {
    return this.size;
  }

  /** Adds or replaces the bits of one memory (as produced by sqlite-vec's vec_quantize_binary). */
  set(id: number, namespace: string, bits: Uint8Array): void {
    let slot = this.slotById.get(id);
    if (slot === undefined) {
      slot = this.size++;
      this.ensureCapacity(this.size);
      this.slotById.set(id, slot);
      this.ids[slot] = id;
    }
    this.namespaceOf[slot] = this.namespaceIndex(namespace);
    const bytes = new Uint8Array(this.words.buffer, slot * this.wordsPerVector * 4, this.wordsPerVector * 4);
    bytes.fill(0);
    bytes.set(bits.subarray(0, this.bytesPerVector));
  }

  delete(id: number): void {
    const slot = this.slotById.get(id);
    if (slot === undefined) return;
    const last = --this.size;
    this.slotById.delete(id);
    if (slot === last) return;
    // Move the last vector into the freed slot so the scan stays over a dense prefix.
    const width = this.wordsPerVector;
    this.words.copyWithin(slot * width, last * width, (last + 1) * width);
    this.ids[slot] = this.ids[last];
    this.namespaceOf[slot] = this.namespaceOf[last];
    this.slotById.set(this.ids[slot], slot);
  }

  /** Ids of the k memories of the namespace nearest to the query bits, nearest first. */
  nearest(namespace: string, queryBits: Uint8Array, k: number): number[] {
    const wanted = this.namespaceIds.get(namespace);
    if (wanted === undefined || k <= 0) return [];
    const query = new Uint32Array(this.wordsPerVector);
    new Uint8Array(query.buffer).set(queryBits.subarray(0, this.bytesPerVector));
    const width = this.wordsPerVector;
    const maxDistance = width * 32;
    // 16 bits hold every distance of vectors up to 65,534 dimensions (maxDistance + 1 marks "not wanted").
    const distances = maxDistance < 0xffff ? new Uint16Array(this.size) : new Uint32Array(this.size);
    const histogram = new Uint32Array(maxDistance + 1);
    // Locals, not fields, in the hot loop: V8 then keeps them in registers.
    const words = this.words;
    const namespaceOf = this.namespaceOf;
    for (let slot = 0, base = 0; slot < this.size; slot++, base += width) {
      if (namespaceOf[slot] !== wanted) {
        distances[slot] = maxDistance + 1; // above any cutoff: never selected
        continue;
      }
      let distance = 0;
      for (let w = 0; w < width; w++) {
        const x = words[base + w] ^ query[w];
        distance += BITS_SET[x & 0xffff] + BITS_SET[x >>> 16];
      }
      distances[slot] = distance;
      histogram[distance]++;
    }
    // Counting sort: the smallest distance whose cumulative count reaches k bounds the selection.
    let cutoff = 0;
    for (let seen = histogram[0]; seen < k && cutoff < maxDistance;) seen += histogram[++cutoff];
    const selected: number[] = [];
    for (let slot = 0; slot < this.size; slot++) if (distances[slot] <= cutoff) selected.push(slot);
    selected.sort((a, b) => distances[a] - distances[b]);
    return selected.slice(0, k).map((slot) => this.ids[slot]);
  }

  private namespaceIndex(namespace: string): number {
    let index = this.namespaceIds.get(namespace);
    if (index === undefined) {
      index = this.namespaceIds.size;
      this.namespaceIds.set(namespace, index);
    }
    return index;
  }

  private ensureCapacity(needed: number): void {
    if (needed <= this.ids.length) return;
    const capacity = Math.max(1024, this.ids.length * 2, needed);
    const words = new Uint32Array(capacity * this.wordsPerVector);
    words.set(this.words);
    this.words = words;
    const ids = new Float64Array(capacity);
    ids.set(this.ids);
    this.ids = ids;
    const namespaces = new Uint32Array(capacity);
    namespaces.set(this.namespaceOf);
    this.namespaceOf = namespaces;
  }
}

/** Set bits of every 16-bit value: two table reads count a 32-bit word. */
const BITS_SET = new Uint8Array(1 << 16);
for (let value = 1; value < BITS_SET.length; value++) BITS_SET[value] = (value & 1) + BITS_SET[value >>> 1];
