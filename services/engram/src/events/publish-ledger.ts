/**
 * The publishes a relay has handed to its store and not seen answered, each under a sequence number of its
 * own. A connection that dies leaves their fate unknown (run, the answer lost, or never run): they are sent
 * again under the same numbers, oldest first, before anything new, and the store runs each number once.
 */
export class PublishLedger<T> {
  private lastSeq = 0;
  /** Unanswered publishes by number; a Map keeps them in the order numbered, so the first is the lowest. */
  private readonly unanswered = new Map<number, T>();
  /** Numbers whose connection died before their answer came: sent again, lowest first. */
  private readonly resends: number[] = [];

  /** Numbers `publish` and keeps it until it is answered. */
  add(publish: T): { seq: number; publish: T } {
    const seq = ++this.lastSeq;
    this.unanswered.set(seq, publish);
    return { seq, publish };
  }

  /** Answered (it ran, or the store refused it: it never will): nothing sends it again. */
  settle(seq: number): void {
    this.unanswered.delete(seq);
  }

  /** Its connection died before the answer: sent again, in its turn among the others. */
  resendLater(seq: number): void {
    const at = this.resends.findIndex((waiting) => waiting > seq);
    this.resends.splice(at === -1 ? this.resends.length : at, 0, seq);
  }

  /** The lowest number waiting to be sent again, taken off that list (it stays unanswered until settled). */
  nextResend(): { seq: number; publish: T } | undefined {
    const seq = this.resends.shift();
    return seq === undefined ? undefined : { seq, publish: this.unanswered.get(seq)! };
  }

  /** How many wait to be sent again. */
  get resendsWaiting(): number {
    return this.resends.length;
  }

  /** The lowest unanswered number (the next one when none is): the store may forget every number below it. */
  get lowestUnanswered(): number {
    const [first] = this.unanswered.keys();
    return first ?? this.lastSeq + 1;
  }
}
