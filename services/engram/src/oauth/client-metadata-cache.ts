import { OAuthError } from './oauth.errors';
import { RegisteredMetadata } from '../storage/oauth.store';

/** Documents of clients never approved: anyone may make the server fetch those. */
const MAX_CACHED = 500;
/** Documents of clients the operator approved: only an operator adds to those, so few are expected. */
const MAX_CACHED_APPROVED = 500;

export interface CachedDocument {
  outcome: RegisteredMetadata | OAuthError;
  expiresAt: number;
  /** The requester whose authorization request fetched it. */
  fetchedFor: string;
  /** A fetched document served again from the cache: a connector in use, not a one-off URL. */
  usedAgain: boolean;
}

/**
 * Fetched client metadata documents (and failures) by URL, in two segments. Documents of clients the
 * operator approved once are kept apart, so nothing anyone can make the server fetch pushes them out;
 * the others share the open segment fairly among requesters. Each segment is kept least recently used
 * first.
 */
export class ClientMetadataCache {
  private readonly approved = new Map<string, CachedDocument>();
  private readonly open = new Map<string, CachedDocument>();

  /** The live entry for the URL, marked used; an approved client's moves to the protected segment. */
  use(clientId: string, approved: boolean, now: number): CachedDocument | undefined {
    const entry = this.approved.get(clientId) ?? this.open.get(clientId);
    if (!entry || entry.expiresAt <= now) return undefined;
    const used = { ...entry, usedAgain: !(entry.outcome instanceof OAuthError) };
    this.put(clientId, used, approved || this.approved.has(clientId), now);
    return entry;
  }

  put(clientId: string, entry: CachedDocument, approved: boolean, now: number): void {
    this.approved.delete(clientId);
    this.open.delete(clientId);
    if (approved) {
      this.approved.set(clientId, entry);
      if (this.approved.size > MAX_CACHED_APPROVED) this.approved.delete(this.approved.keys().next().value!);
      return;
    }
    this.open.set(clientId, entry);
    if (this.open.size > MAX_CACHED) this.open.delete(this.evictionVictim(clientId, now));
  }

  /**
   * The entry to drop from a full open segment for the one just `added`: an expired one, else one of the
   * requester holding the most, its one-off documents (and failures) before those used again, least
   * recently used first. Counting by requester is what keeps a flood of fresh URLs, from one address,
   * from pushing out the documents others use: it pushes out its own. Keeping documents used again
   * alone would not do, since a flooder can name each of its URLs twice; it still decides within one
   * requester's share, so a caller's own one-off URLs go before the connector it uses.
   */
  private evictionVictim(added: string, now: number): string {
    const held = new Map<string, number>();
    for (const entry of this.open.values()) held.set(entry.fetchedFor, (held.get(entry.fetchedFor) ?? 0) + 1);
    let victim = '';
    let victimRank = -1;
    for (const [clientId, entry] of this.open) {
      if (clientId === added) continue;
      if (entry.expiresAt <= now) return clientId;
      const rank = held.get(entry.fetchedFor)! * 2 + (entry.usedAgain ? 0 : 1);
      if (rank > victimRank) [victim, victimRank] = [clientId, rank];
    }
    return victim;
  }
}
