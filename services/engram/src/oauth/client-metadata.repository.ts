import { lookup } from 'node:dns/promises';
import { request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { AddressPolicy } from './address-policy';

/** Why a client metadata document could not be had; the message is shown on the error page. */
export class MetadataFetchError extends Error {}

export interface FetchedDocument {
  body: unknown;
  /** The response's Cache-Control header, for the cache lifetime. */
  cacheControl?: string;
}

export interface MetadataFetchLimits {
  /** The whole fetch (name resolution, connection, TLS, headers, body). */
  timeoutMs: number;
  maxBytes: number;
}

/**
 * claude.ai's document is larger than the 5 KB the draft suggests (an authorization server that held
 * to 5 KB refused it), so the cap is looser; still far from anything that costs memory.
 */
export const DEFAULT_FETCH_LIMITS: MetadataFetchLimits = { timeoutMs: 5000, maxBytes: 32 * 1024 };

export type HostResolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

const systemResolver: HostResolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

/**
 * Fetches client ID metadata documents over https with the server-side request forgery protections
 * the draft asks for: the host name is resolved once, every address it resolves to must be public (or
 * allow-listed), and the connection goes to the checked address, so a second answer from the name
 * server (DNS rebinding) is never asked for. No redirects are followed; size and time are bounded.
 */
export class ClientMetadataRepository {
  constructor(
    private readonly policy: AddressPolicy,
    private readonly limits: MetadataFetchLimits = DEFAULT_FETCH_LIMITS,
    private readonly resolve: HostResolver = systemResolver,
  ) {}

  async fetchDocument(url: URL): Promise<FetchedDocument> {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new MetadataFetchError(`no complete answer within ${this.limits.timeoutMs / 1000} s`)),
      this.limits.timeoutMs,
    );
    try {
      const address = await abortable(this.checkedAddress(url.hostname.replace(/^\[|\]$/g, '')), controller.signal);
      return await this.get(url, address, controller.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  private async checkedAddress(hostname: string): Promise<{ address: string; family: number }> {
    const addresses = isIP(hostname)
      ? [{ address: hostname, family: isIP(hostname) }]
      : await this.resolve(hostname).catch(() => {
          throw new MetadataFetchError(`the host name ${hostname} does not resolve`);
        });
    if (addresses.length === 0) throw new MetadataFetchError(`the host name ${hostname} does not resolve`);
    const refused = addresses.find(({ address }) => !this.policy.allows(hostname, address));
    if (refused) {
      throw new MetadataFetchError(
        `${hostname} resolves to ${refused.address}, a private, loopback or otherwise non-public address`,
      );
    }
    return addresses[0];
  }

  private get(url: URL, pinned: { address: string; family: number }, signal: AbortSignal): Promise<FetchedDocument> {
    const pin: LookupFunction = (_hostname, options, callback) => {
      if (options.all) callback(null, [pinned]);
      else callback(null, pinned.address, pinned.family);
    };
    return new Promise((resolve, reject) => {
      const outgoing = request(url, {
        method: 'GET',
        headers: { accept: 'application/json', 'user-agent': 'Engram' },
        lookup: pin,
        agent: false,
        signal,
      });
      outgoing.on('error', (error) => reject(signal.aborted ? signal.reason : describe(error)));
      outgoing.on('response', (response) => {
        this.readBody(response)
          .then((body) => resolve({ body, cacheControl: response.headers['cache-control'] }))
          .catch((error: Error) => {
            outgoing.destroy();
            reject(signal.aborted ? signal.reason : describe(error));
          });
      });
      outgoing.end();
    });
  }

  private async readBody(response: IncomingMessage): Promise<unknown> {
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400) {
      throw new MetadataFetchError(`answered with a redirect (HTTP ${status}); the document must be served directly`);
    }
    if (status !== 200) throw new MetadataFetchError(`answered HTTP ${status}`);
    const type = response.headers['content-type'];
    if (!isJsonMediaType(type)) {
      throw new MetadataFetchError(
        `is served as ${type ? `'${type}'` : 'no content type'}; a client metadata document is served as application/json`,
      );
    }
    const tooLarge = new MetadataFetchError(`the document is larger than ${this.limits.maxBytes} bytes`);
    if (Number(response.headers['content-length'] ?? 0) > this.limits.maxBytes) throw tooLarge;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > this.limits.maxBytes) throw tooLarge;
      chunks.push(chunk);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    } catch {
      throw new MetadataFetchError('the document is not JSON');
    }
  }
}

/**
 * `application/json` or a more specific `application/…+json`, parameters aside: the draft has anything
 * else treated as an error, so a page, a text file or an upload that a site serves under its own name
 * (its user content, its error pages) cannot pass for a client that site vouches for.
 */
function isJsonMediaType(contentType: string | undefined): boolean {
  const media = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return media === 'application/json' || /^application\/[a-z0-9!#$&^_.-]+\+json$/.test(media);
}

function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function describe(error: Error): MetadataFetchError {
  if (error instanceof MetadataFetchError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  return new MetadataFetchError(`the fetch failed (${code ?? error.message})`);
}
