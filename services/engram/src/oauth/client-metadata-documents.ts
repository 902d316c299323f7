import {
  cacheLifetimeMs,
  CACHE_BOUNDS_MS,
  metadataDocumentUrl,
  validateMetadataDocument,
} from './client-metadata-document';
import { ClientMetadataCache } from './client-metadata-cache';
import { ClientMetadataRepository, MetadataFetchError } from './client-metadata.repository';
import { OAuthError } from './oauth.errors';
import { FailureBudget, FailureLimiter } from '../auth/failure-limiter';
import { RegisteredMetadata } from '../storage/oauth.store';

/** Distinct documents of unapproved clients fetched at once; beyond that a request is refused for now. */
const MAX_IN_FLIGHT = 16;
/**
 * Of those, what one requester (a client address, an IPv6 /64) may start: anyone may open
 * /oauth/authorize, and a party naming its own slow servers must not hold every slot, so real
 * connectors are not told to retry. A browser opens a handful of authorizations at once at most.
 */
const MAX_IN_FLIGHT_PER_REQUESTER = 4;
/**
 * Documents of unapproved clients fetched a minute, by every replica together (the limiter counts in
 * Redis when there is one), and by one requester: enough for operators adding connectors, whose
 * documents are then cached, while a flood from many addresses cannot make the server fetch without end.
 */
export const NEW_DOCUMENT_BUDGETS: Record<'everyone' | 'requester', FailureBudget> = {
  everyone: { name: 'oauth-metadata-fetches', limit: 60, windowMs: 60_000 },
  requester: { name: 'oauth-metadata-fetches-per-address', limit: 10, windowMs: 60_000 },
};
/** The key of the count kept for every requester together. */
const EVERYONE = 'all';

const BUSY = 'too many client metadata documents are being fetched; retry in a moment';

/** Where documents come from: ClientMetadataRepository, behind its address policy. */
export type DocumentSource = Pick<ClientMetadataRepository, 'fetchDocument'>;

/** Who asks for a document: `requester` (the caller's failureBudgetKey), for a client approved before or not. */
export interface DocumentRequest {
  requester: string;
  /** The operator approved this client once (the store says so): its document is never a flood's. */
  approved: boolean;
}

/**
 * Client ID metadata documents by URL: fetched (through the repository's SSRF protections), validated,
 * and kept for their cache lifetime. Failures are kept for the minimum lifetime too, and concurrent
 * requests for one URL share one fetch, so a burst of authorization requests costs one fetch.
 *
 * Anyone may make the server fetch a document of a client never approved, so those fetches are bounded:
 * this process's slots, shared fairly among requesters, and a rate over every replica, with each
 * requester's share of it. Documents of clients the operator approved are fetched outside those bounds
 * (one fetch at a time per client, and only an operator adds clients) and cached apart, so a flood from
 * any number of addresses can neither push them out nor keep them from being fetched again.
 */
export class ClientMetadataDocuments {
  private readonly cache = new ClientMetadataCache();
  private readonly inFlight = new Map<string, Promise<RegisteredMetadata>>();
  private readonly slotsBy = new Map<string, number>();
  private slotsInUse = 0;

  constructor(
    private readonly source: DocumentSource,
    private readonly limiter: FailureLimiter,
  ) {}

  /** The client's metadata, for an authorization request. */
  async resolve(clientId: string, request: DocumentRequest, now = Date.now()): Promise<RegisteredMetadata> {
    const url = metadataDocumentUrl(clientId);
    const cached = this.cache.use(clientId, request.approved, now);
    if (cached) {
      if (cached.outcome instanceof OAuthError) throw cached.outcome;
      return cached.outcome;
    }
    const joined = this.inFlight.get(clientId);
    if (joined) return joined;
    if (request.approved) return this.track(url, this.fetchAndValidate(url, request, now));
    return this.fetchNew(url, request, now);
  }

  /**
   * A document of a client never approved: within the slots and the rate, or refused for now. The fetch
   * is shared from the start, so requests for the same URL arriving meanwhile join it and take no slot.
   */
  private fetchNew(url: URL, request: DocumentRequest, now: number): Promise<RegisteredMetadata> {
    this.takeSlot(request.requester);
    const fetching = this.chargeNewDocument(request.requester)
      .then(() => this.fetchAndValidate(url, request, now))
      .finally(() => this.releaseSlot(request.requester));
    return this.track(url, fetching);
  }

  // One refusal whichever bound is reached: it names nothing about other requesters.
  private takeSlot(requester: string): void {
    const taken = this.slotsBy.get(requester) ?? 0;
    if (this.slotsInUse >= MAX_IN_FLIGHT || taken >= MAX_IN_FLIGHT_PER_REQUESTER) {
      throw new OAuthError('invalid_client', BUSY);
    }
    this.slotsBy.set(requester, taken + 1);
    this.slotsInUse++;
  }

  private releaseSlot(requester: string): void {
    this.slotsInUse--;
    const left = (this.slotsBy.get(requester) ?? 1) - 1;
    if (left > 0) this.slotsBy.set(requester, left);
    else this.slotsBy.delete(requester);
  }

  /**
   * Takes a place for the fetch in the requester's share and in everyone's budget, in one step with the
   * check, unless either is spent: so replicas fetching at once never fetch more than the budgets allow.
   */
  private async chargeNewDocument(requester: string): Promise<void> {
    const { everyone, requester: own } = NEW_DOCUMENT_BUDGETS;
    const charged = await this.limiter.reserve([
      { budget: own, key: requester },
      { budget: everyone, key: EVERYONE },
    ]);
    if (charged.retryAfterSeconds > 0) throw new OAuthError('invalid_client', BUSY);
  }

  private track(url: URL, fetching: Promise<RegisteredMetadata>): Promise<RegisteredMetadata> {
    const shared = fetching.finally(() => this.inFlight.delete(url.href));
    this.inFlight.set(url.href, shared);
    return shared;
  }

  private async fetchAndValidate(url: URL, request: DocumentRequest, now: number): Promise<RegisteredMetadata> {
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
    const entry = { outcome, expiresAt: now + lifetime, fetchedFor: request.requester, usedAgain: false };
    this.cache.put(url.href, entry, request.approved, now);
    if (outcome instanceof OAuthError) throw outcome;
    return outcome;
  }
}
