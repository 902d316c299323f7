import { BlockList, isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Cidr } from '../config/cidr-list';

/** IPv4 peers reach a dual-stack socket as `::ffff:a.b.c.d`; ranges are written in plain IPv4. */
const MAPPED_IPV4 = '::ffff:';

/** The proxies whose X-Forwarded-For is believed (ENGRAM_TRUSTED_PROXIES). */
export class TrustedProxies {
  private readonly ranges = new BlockList();
  readonly empty: boolean;

  constructor(cidrs: readonly Cidr[]) {
    for (const { address, prefix, family } of cidrs) this.ranges.addSubnet(address, prefix, family);
    this.empty = cidrs.length === 0;
  }

  contains(address: string): boolean {
    const version = isIP(address);
    return version !== 0 && this.ranges.check(address, version === 4 ? 'ipv4' : 'ipv6');
  }
}

/**
 * The address a request came from, the one place it is worked out (the limiter, the audit log and the
 * access log all use it): the socket peer, unless that is a trusted proxy, in which case X-Forwarded-For
 * is walked from the right (the hop the proxy itself added) past every trusted hop. An entry that is not
 * an address stops the walk at the last trusted hop, so a forged list cannot name an arbitrary client.
 */
export function clientAddress(request: IncomingMessage, proxies: TrustedProxies): string {
  let address = plainAddress(request.socket.remoteAddress ?? '');
  if (proxies.empty || !proxies.contains(address)) return address;
  const hops = forwardedHops(request.headers['x-forwarded-for']);
  for (let i = hops.length - 1; i >= 0 && proxies.contains(address); i--) {
    const hop = plainAddress(hops[i]);
    if (isIP(hop) === 0) break;
    address = hop;
  }
  return address;
}

function forwardedHops(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  return [header]
    .flat()
    .flatMap((value) => value.split(','))
    .map((hop) => hop.trim());
}

function plainAddress(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith(MAPPED_IPV4) && isIP(lower.slice(MAPPED_IPV4.length)) === 4
    ? lower.slice(MAPPED_IPV4.length)
    : address;
}
