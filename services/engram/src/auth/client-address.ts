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

/**
 * What failures from `address` are counted under: the address itself, or for IPv6 its /64. One host (a
 * cloud VM, a home network) is handed a whole /64 and may send from any of its addresses, so counting
 * each apart would give it a fresh budget per address: endless guesses at the operator's password.
 */
export function failureBudgetKey(address: string): string {
  if (isIP(address) !== 6) return address;
  return `${hextetsOf(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded, an embedded IPv4 tail as two groups). */
function hextetsOf(address: string): string[] {
  const groupsOf = (part: string) =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [group];
          const [a, b, c, d] = group.split('.').map(Number);
          return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
        });
  const [head, tail] = address.split('%')[0].toLowerCase().split('::');
  const first = groupsOf(head);
  const last = tail === undefined ? [] : groupsOf(tail);
  const zeros: string[] = Array(8 - first.length - last.length).fill('0');
  return [...first, ...zeros, ...last].map((group) => parseInt(group, 16).toString(16));
}
