import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { parseCidrList } from '../config/cidr-list';
import { clientAddress, failureBudgetKey, TrustedProxies } from './client-address';

const proxies = new TrustedProxies(parseCidrList('10.0.0.0/8, fd00::/8', 'ENGRAM_TRUSTED_PROXIES', []));
const request = (peer: string, forwardedFor?: string | string[]) =>
  ({ socket: { remoteAddress: peer }, headers: { 'x-forwarded-for': forwardedFor } }) as unknown as IncomingMessage;

describe('the client address through trusted proxies', () => {
  it('is the socket peer when the peer is not a trusted proxy, whatever X-Forwarded-For says', () => {
    assert.equal(clientAddress(request('203.0.113.9', '1.1.1.1'), proxies), '203.0.113.9');
    assert.equal(clientAddress(request('::ffff:203.0.113.9', '1.1.1.1'), proxies), '203.0.113.9');
  });

  it('walks X-Forwarded-For from the right past trusted hops, IPv4 and IPv6', () => {
    assert.equal(clientAddress(request('10.0.0.2', '198.51.100.1, 10.1.1.1'), proxies), '198.51.100.1');
    assert.equal(clientAddress(request('::ffff:10.0.0.2', ['198.51.100.1', '10.1.1.1']), proxies), '198.51.100.1');
    assert.equal(clientAddress(request('fd00::2', '2001:db8::7'), proxies), '2001:db8::7');
    assert.equal(clientAddress(request('10.0.0.2', 'spoofed, 198.51.100.1'), proxies), '198.51.100.1');
  });

  it('stops at the last trusted hop when the next entry is not an address, or there is none', () => {
    assert.equal(clientAddress(request('10.0.0.2', '198.51.100.1, unknown'), proxies), '10.0.0.2');
    assert.equal(clientAddress(request('10.0.0.2'), proxies), '10.0.0.2');
    assert.equal(clientAddress(request('10.0.0.2', '10.0.0.3, 10.0.0.4'), proxies), '10.0.0.3');
  });

  it('trusts nobody without ENGRAM_TRUSTED_PROXIES', () => {
    assert.equal(clientAddress(request('10.0.0.2', '198.51.100.1'), new TrustedProxies([])), '10.0.0.2');
  });
});

describe('what failures are counted under', () => {
  it('is an IPv4 address itself, and the /64 of an IPv6 one, however it is written', () => {
    assert.equal(failureBudgetKey('203.0.113.9'), '203.0.113.9');
    const network = '2001:db8:1:2::/64';
    for (const address of [
      '2001:db8:1:2::1',
      '2001:db8:1:2:ffff:1:2:3',
      '2001:DB8:1:2:0:0:0:9',
      '2001:db8:1:2::192.0.2.1',
    ]) {
      assert.equal(failureBudgetKey(address), network, address);
    }
    assert.equal(failureBudgetKey('2001:db8:1:3::1'), '2001:db8:1:3::/64');
    assert.equal(failureBudgetKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(failureBudgetKey('::1'), '0:0:0:0::/64');
    assert.equal(failureBudgetKey('1::2:3:4:5:192.0.2.1'), '1:0:2:3::/64');
    assert.equal(failureBudgetKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  });
});
