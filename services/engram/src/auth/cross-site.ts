import type { IncomingHttpHeaders } from 'node:http';
import { AppConfig } from '../config/config.types';

/** Methods a browser page may send cross-site without changing anything. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Without credentials the only thing between a web page and the store is the browser's same-origin
 * rule, and a form post (multipart upload, text/plain) is a "simple" request it lets through. So a
 * state-changing request must come from this server's own origin, the public URL or an allowed CORS
 * origin (MCP_CORS_ORIGINS). Requests without an Origin header (CLI, MCP clients, curl) pass unless the
 * browser's Sec-Fetch-Site says the page belongs to another site.
 */
export class CrossSiteGuard {
  private readonly allowed: Set<string>;
  private readonly anyOrigin: boolean;

  constructor(config: AppConfig) {
    this.allowed = new Set([...config.http.corsOrigins, new URL(config.publicUrl).origin]);
    this.anyOrigin = this.allowed.has('*');
  }

  /** Why the request is refused, or undefined when it may proceed. */
  refusal(method: string, headers: IncomingHttpHeaders): string | undefined {
    if (SAFE_METHODS.has(method) || this.anyOrigin) return undefined;
    const origin = headers.origin;
    if (origin !== undefined) {
      if (this.allowed.has(origin) || sameHost(origin, headers.host)) return undefined;
      return `Refused a ${method} from the web page at ${origin.slice(0, 200)}: without an API key only this server's own pages and MCP_CORS_ORIGINS may change data`;
    }
    const site = headers['sec-fetch-site'];
    if (site === undefined || site === 'same-origin' || site === 'none') return undefined;
    return `Refused a ${site} ${method} from a web page: without an API key only this server's own pages and MCP_CORS_ORIGINS may change data`;
  }
}

/** The page's origin is the address this request was sent to (the dashboard talking to its server). */
function sameHost(origin: string, host: string | undefined): boolean {
  if (host === undefined || !URL.canParse(origin)) return false;
  const url = new URL(origin);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === host.toLowerCase();
}
