import { BlockList, isIP } from 'node:net';

/**
 * Address ranges a fetch on a client's behalf must never reach: this host, the private networks behind
 * it, link-local (cloud metadata at 169.254.169.254), shared and reserved space, multicast, and the IPv6
 * forms that embed, tunnel or translate to IPv4 (IPv4-compatible, NAT64, 6to4, Teredo), which could smuggle
 * any of those.
 * IPv4-mapped IPv6 addresses are judged as the IPv4 address they are (`unmapped`); a `::ffff:0:0/96`
 * rule cannot be listed here, since BlockList applies it to every IPv4 address.
 */
const NOT_PUBLIC: readonly [string, number, 'ipv4' | 'ipv6'][] = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.0.2.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['198.51.100.0', 24, 'ipv4'],
  ['203.0.113.0', 24, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  ['::', 96, 'ipv6'], // unspecified, loopback, and the deprecated IPv4-compatible form (::7f00:1 is 127.0.0.1)
  ['64:ff9b::', 96, 'ipv6'],
  ['64:ff9b:1::', 48, 'ipv6'],
  ['100::', 64, 'ipv6'],
  ['2001::', 32, 'ipv6'],
  ['2001:db8::', 32, 'ipv6'],
  ['2002::', 16, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['fec0::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
];

const notPublic = new BlockList();
for (const [network, prefix, family] of NOT_PUBLIC) notPublic.addSubnet(network, prefix, family);

/**
 * Which resolved addresses a client metadata document may be fetched from: public unicast only, unless
 * the operator named the host or a range holding the address (ENGRAM_OAUTH_METADATA_PRIVATE_HOSTS).
 */
export class AddressPolicy {
  private readonly hosts = new Set<string>();
  private readonly ranges = new BlockList();

  /** Entries are host names, addresses or CIDR ranges, as the configuration validated them. */
  constructor(allowed: readonly string[]) {
    for (const entry of allowed) {
      const [address, prefix] = entry.split('/');
      const version = isIP(address);
      if (version === 0) this.hosts.add(entry.toLowerCase());
      else {
        const bits = prefix === undefined ? (version === 4 ? 32 : 128) : Number(prefix);
        this.ranges.addSubnet(address, bits, version === 4 ? 'ipv4' : 'ipv6');
      }
    }
  }

  /** True when `address` (what `hostname` resolved to) may be connected to; anything unreadable is refused. */
  allows(hostname: string, address: string): boolean {
    try {
      const plain = unmapped(address);
      const version = isIP(plain);
      if (version === 0) return false;
      const family = version === 4 ? 'ipv4' : 'ipv6';
      if (!notPublic.check(plain, family)) return true;
      return this.hosts.has(hostname.toLowerCase()) || this.ranges.check(plain, family);
    } catch {
      return false;
    }
  }
}

/** `::ffff:10.0.0.1` (or `::ffff:a00:1`) is IPv4 10.0.0.1 on the wire: judge (and allow-list) it as such. */
function unmapped(address: string): string {
  if (isIP(address) !== 6) return address;
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (!mapped) return address;
  const [high, low] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}
