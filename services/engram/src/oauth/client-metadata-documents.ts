import {
  cacheLifetimeMs,
  CACHE_BOUNDS_MS,
  metadataDocumentUrl,
  validateMetadataDocument,
} from './client-metadata-document';
import { ClientMetadataRepository, MetadataFetchError } from './client-metadata.repository';
import { OAuthError } from './oauth.errors';
import { RegisteredMetadata } from '../storage/oauth.store';

const MAX_CACHED = 500;
/** Distinct documents fetched at once; beyond that an authorization request is refused for now. */
const MAX_IN_FLIGHT = 16;
/**
 * Of those, what one requester (a client address, an IPv6 /64) may start: anyone may open
 * /oauth/authorize, and a party naming its own slow servers must not hold every slot, so real
 * connectors are not told to retry. A browser opens a handful of authorizations at once at most.
 */
const MAX_IN_FLIGHT_PER_REQUESTER = 4;

/** Where documents come from: ClientMetadataRepository, behind its address policy. */
export type DocumentSource = Pick<ClientMetadataRepository, 'fetchDocument'>;

interface Cached {
  outcome: RegisteredMetadata | OAuthError;
  expiresAt: number;
  /** The requester whose authorization request fetched it. */
  fetchedFor: string;
  /** A fetched document served again from the cache: a connector in use, not a one-off URL. */
  usedAgain: boolean;
}

/**
 * Client ID metadata documents by URL: fetched (through the repository's SSRF protections), validated,
 * and kept for their cache lifetime. Failures are kept for the minimum lifetime too, and concurrent
 * requests for one URL share one fetch, so a burst of authorization requests costs one fetch. The
 * slots and the cache are this process's (they bound its outbound fetches), shared fairly among
 * requesters: one cannot hold more than its share of the slots, nor push out another's documents.
 */
export class ClientMetadataDocuments {
  /** Least recently used first. */
  private readonly cache = new Map<string, Cached>();
  private readonly inFlight = new Map<string, Promise<RegisteredMetadata>>();
  private readonly fetchesBy = new Map<string, number>();

  constructor(private readonly source: DocumentSource) {}

  /** The client's metadata, for an authorization request from `requester` (its failureBudgetKey). */
  async resolve(clientId: string, requester: string, now = Date.now()): Promise<RegisteredMetadata> {
    const url = metadataDocumentUrl(clientId);
    const cached = this.cache.get(clientId);
    if (cached && cached.expiresAt > now) {
      // Moved to the end: the cache is kept least recently used first.
      this.cache.delete(clientId);
      this.cache.set(clientId, { ...cached, usedAgain: !(cached.outcome instanceof OAuthError) });
      if (cached.outcome instanceof OAuthError) throw cached.outcome;
      return cached.outcome;
    }
    return this.inFlight.get(clientId) ?? this.startFetch(url, requester, now);
  }

  private startFetch(url: URL, requester: string, now: number): Promise<RegisteredMetadata> {
    const started = this.fetchesBy.get(requester) ?? 0;
    // One refusal whichever bound is reached: it names nothing about other requesters.
    if (this.inFlight.size >= MAX_IN_FLIGHT || started >= MAX_IN_FLIGHT_PER_REQUESTER) {
      throw new OAuthError('invalid_client', 'too many client metadata documents are being fetched; retry in a moment');
    }
    this.fetchesBy.set(requester, started + 1);
    const pending = this.fetchAndValidate(url, requester, now).finally(() => {
      this.inFlight.delete(url.href);
      const left = (this.fetchesBy.get(requester) ?? 1) - 1;
      if (left > 0) this.fetchesBy.set(requester, left);
      else this.fetchesBy.delete(requester);
    });
    this.inFlight.set(url.href, pending);
    return pending;
  }

  private async fetchAndValidate(url: URL, requester: string, now: number): Promise<RegisteredMetadata> {
    let outcome: RegisteredMetadata | OAuthError;
    let lifetime = CACHE_BOUNDS_MS.min;
    try {
      const fetched = await this.source.fetchDocument(url);
      outcome = validateMetadataDocument(url, fetched.body);
      lifetime = cacheLifetimeMs(fetched.cacheControl);
    } catch (error) {
      if (!(error instanceof OAuthError || error instanceof MetadataFetchError)) throw error;
      outcome =
        error instanceof OAuthError
          ? error
          : new OAuthError('invalid_client', `client metadata document ${url.href}: ${error.message}`);
    }
    this.remember(url.href, { outcome, expiresAt: now + lifetime, fetchedFor: requester, usedAgain: false }, now);
    if (outcome instanceof OAuthError) throw outcome;
    return outcome;
  }

  private remember(clientId: string, entry: Cached, now: number): void {
    this.cache.delete(clientId);
    this.cache.set(clientId, entry);
    if (this.cache.size > MAX_CACHED) this.cache.delete(this.evictionVictim(clientId, now));
  }

  /**
   * The entry to drop from a full cache for the one just `added`: an expired one, else one of the
   * requester holding the most, its one-off documents (and failures) before those used again, least
   * recently used first. Counting by requester is what keeps a flood of fresh URLs, from one address,
   * from pushing out the connectors others use: it pushes out its own. Keeping documents used again
   * alone would not do, since a flooder can name each of its URLs twice; it still decides within one
   * requester's share, so a caller's own one-off URLs go before the connector it uses.
   */
  private evictionVictim(added: string, now: number): string {
    const held = new Map<string, number>();
    for (const entry of this.cache.values()) held.set(entry.fetchedFor, (held.get(entry.fetchedFor) ?? 0) + 1);
    let victim = '';
    let victimRank = -1;
    for (const [clientId, entry] of this.cache) {
      if (clientId === added) continue;
      if (entry.expiresAt <= now) return clientId;
      const rank = held.get(entry.fetchedFor)! * 2 + (entry.usedAgain ? 0 : 1);
      if (rank > victimRank) [victim, victimRank] = [clientId, rank];
    }
    return victim;
  }
}
