import { isIP } from 'node:net';

/** One address range: an IPv4 or IPv6 network address and its prefix length. */
export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/**
 * Reads a comma list of addresses and CIDR ranges (`10.0.0.0/8, 192.168.1.7, fd00::/8`); a bare address
 * is a range of one. Each entry that is neither is reported as one problem naming `name`.
 */
export function parseCidrList(raw: string | undefined, name: string, errors: string[]): Cidr[] {
  if (raw === undefined) return [];
  const ranges: Cidr[] = [];
  for (const entry of raw.split(',').map((part) => part.trim())) {
    if (entry === '') continue;
    const range = parseCidr(entry);
    if (range) ranges.push(range);
    else errors.push(`${name}: "${entry}" is not an IP address or CIDR range (e.g. 10.0.0.0/8, fd00::/8, 192.168.1.7)`);
  }
  return ranges;
}

/** One address or CIDR range, or undefined when `entry` is neither. */
export function parseCidr(entry: string): Cidr | undefined {
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const version = isIP(address);
  if (version === 0) return undefined;
  const bits = version === 4 ? 32 : 128;
  if (slash === -1) return { address, prefix: bits, family: version === 4 ? 'ipv4' : 'ipv6' };
  const prefix = entry.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits) return undefined;
  return { address, prefix: Number(prefix), family: version === 4 ? 'ipv4' : 'ipv6' };
}
