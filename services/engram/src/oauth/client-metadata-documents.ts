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

interface Cached {
  outcome: RegisteredMetadata | OAuthError;
  expiresAt: number;
}

/**
 * Client ID metadata documents by URL: fetched (through the repository's SSRF protections), validated,
 * and kept for their cache lifetime. Failures are kept for the minimum lifetime too, and concurrent
 * requests for one URL share one fetch, so a burst of authorization requests costs one fetch.
 */
export class ClientMetadataDocuments {
  private readonly cache = new Map<string, Cached>();
  private readonly inFlight = new Map<string, Promise<RegisteredMetadata>>();

  constructor(private readonly repository: ClientMetadataRepository) {}

  async resolve(clientId: string, now = Date.now()): Promise<RegisteredMetadata> {
    const url = metadataDocumentUrl(clientId);
    const cached = this.cache.get(clientId);
    if (cached && cached.expiresAt > now) {
      if (cached.outcome instanceof OAuthError) throw cached.outcome;
      return cached.outcome;
    }
    let pending = this.inFlight.get(clientId);
    if (!pending && this.inFlight.size >= MAX_IN_FLIGHT) {
      throw new OAuthError('invalid_client', 'too many client metadata documents are being fetched; retry in a moment');
    }
    if (!pending) {
      pending = this.fetchAndValidate(url, now).finally(() => this.inFlight.delete(clientId));
      this.inFlight.set(clientId, pending);
    }
    return pending;
  }

  private async fetchAndValidate(url: URL, now: number): Promise<RegisteredMetadata> {
    let outcome: RegisteredMetadata | OAuthError;
    let lifetime = CACHE_BOUNDS_MS.min;
    try {
      const fetched = await this.repository.fetchDocument(url);
      outcome = validateMetadataDocument(url, fetched.body);
      lifetime = cacheLifetimeMs(fetched.cacheControl);
    } catch (error) {
      if (!(error instanceof OAuthError || error instanceof MetadataFetchError)) throw error;
      outcome =
        error instanceof OAuthError
          ? error
          : new OAuthError('invalid_client', `client metadata document ${url.href}: ${error.message}`);
    }
    this.remember(url.href, { outcome, expiresAt: now + lifetime });
    if (outcome instanceof OAuthError) throw outcome;
    return outcome;
  }

  private remember(clientId: string, entry: Cached): void {
    this.cache.delete(clientId);
    this.cache.set(clientId, entry);
    if (this.cache.size > MAX_CACHED) {
      const [oldest] = this.cache.keys();
      this.cache.delete(oldest);
    }
  }
}
