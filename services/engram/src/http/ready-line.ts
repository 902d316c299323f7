import { AddressInfo } from 'node:net';

/** Addresses that mean every interface: localhost reaches them, as it reaches 127.0.0.1. */
const ALL_INTERFACES = new Set(['0.0.0.0', '::']);
/**
 * The one address localhost names wherever the server runs: some machines resolve it to 127.0.0.1 alone,
 * so a server on ::1 is given as [::1], and one on 127.0.0.2 by its own number.
 */
const LOCALHOST = '127.0.0.1';

/** Where the bound server is reached from this machine, and what it listens on, as the ready line says. */
export function servedAddress({ address, port }: AddressInfo): { base: string; listening: string } {
  const literal = address.includes(':') ? `[${address}]` : address;
  if (ALL_INTERFACES.has(address)) {
    return { base: `http://localhost:${port}`, listening: `all interfaces (${literal}:${port})` };
  }
  return { base: `http://${address === LOCALHOST ? 'localhost' : literal}:${port}`, listening: `${literal}:${port}` };
}

/** What the ready line reports besides the address. */
export interface ReadyState {
  /** Whether requests need a key (one is configured or created, or OAuth is on). */
  keyed: boolean;
  /** MCP_ALLOW_ANONYMOUS_ACCESS: keyless requests are taken whatever host they name. */
  anonymous: boolean;
  database: string;
}

/** The one line that says the server is up: where it listens, where to go, and whether it asks for keys. */
export function readyLine(address: AddressInfo, { keyed, anonymous, database }: ReadyState) {
  const { base, listening } = servedAddress(address);
  return {
    msg: 'Engram ready',
    mode: keyed
      ? 'keyed: every request needs an API key'
      : anonymous
        ? 'keyless: open to anyone who can connect (MCP_ALLOW_ANONYMOUS_ACCESS=true)'
        : 'keyless: loopback only, no key needed until the first key is created',
    listening,
    dashboard: `${base}/`,
    mcp: `${base}/mcp`,
    api_docs: `${base}/api/docs`,
    database,
  };
}
