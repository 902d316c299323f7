import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressPolicy } from './address-policy';

describe('client metadata fetch address policy', () => {
  it('admits public unicast addresses only', () => {
    const policy = new AddressPolicy([]);
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700::6810:84e5']) {
      assert.equal(policy.allows('client.example.com', address), true, address);
    }
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:10.0.0.1',
      '::7f00:1',
      '::a9fe:a9fe',
      '::ffff:a00:1',
      '64:ff9b::a00:1',
      '2002:a00:1::',
      'not-an-address',
    ]) {
      assert.equal(policy.allows('client.example.com', address), false, address);
    }
  });

  it('admits private addresses of the hosts and ranges the operator names, and nothing else', () => {
    const policy = new AddressPolicy(['intranet.example.com', '10.1.0.0/16', '::1']);
    assert.equal(policy.allows('intranet.example.com', '192.168.7.7'), true);
    assert.equal(policy.allows('INTRANET.example.com', '192.168.7.7'), true);
    assert.equal(policy.allows('other.example.com', '10.1.9.9'), true);
    assert.equal(policy.allows('other.example.com', '::ffff:10.1.9.9'), true);
    assert.equal(policy.allows('other.example.com', '::1'), true);
    assert.equal(policy.allows('other.example.com', '10.2.0.1'), false);
    assert.equal(policy.allows('other.example.com', '127.0.0.1'), false);
  });
});
