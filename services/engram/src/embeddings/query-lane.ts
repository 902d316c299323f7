/**
 * The lane search queries take to a worker pool. Queries that arrive while earlier ones are being
 * embedded wait together and go in one model call (16 concurrent searches cost one batch, not 16
 * calls in a row), sent as urgent jobs so they start before any queued ingest batch.
 */
export class QueryLane {
  private readonly waiting: { text: string; resolve(vector: Float32Array): void; reject(error: unknown): void }[] = [];
  private inFlight = 0;

  /**
   * @param embedBatch embeds texts as one urgent job, one unit vector per text in order
   * @param maxInFlight query batches running at once (the pool's workers)
   * @param maxBatch most texts per batch (the embedder's batch size)
   */
  constructor(
    private readonly embedBatch: (texts: string[]) => Promise<Float32Array[]>,
    private readonly maxInFlight: number,
    private readonly maxBatch: number,
  ) {}

  embed(texts: readonly string[]): Promise<Float32Array[]> {
    const vectors = texts.map(
      (text) => new Promise<Float32Array>((resolve, reject) => this.waiting.push({ text, resolve, reject })),
    );
    this.flush();
    return Promise.all(vectors);
  }

  private flush(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      this.inFlight++;
      this.embedBatch(batch.map((entry) => entry.text))
        .then(
          (vectors) => batch.forEach((entry, i) => entry.resolve(vectors[i])),
          (error: unknown) => batch.forEach((entry) => entry.reject(error)),
        )
        .finally(() => {
          this.inFlight--;
          this.flush();
        });
    }
  }
}
