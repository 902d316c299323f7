import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, tempDir } from '../process-harness';

const UNITS = ['engram.service', 'engram-worker.service'];
/** systemd-analyze's exposure score (0 safest … 10), times ten, that a unit must stay under. */
const EXPOSURE_THRESHOLD = 20;

function unitText(name: string): string {
  return readFileSync(join(ROOT, 'services', 'systemd', name), 'utf8');
}

/**
 * The unit as a file systemd-analyze can check here: `verify` insists the ExecStart binary exists, so
 * /usr/bin/node becomes this test's own node when it lives elsewhere. Nothing else changes.
 */
function checkable(name: string, text = unitText(name)): string {
  const file = join(tempDir('engram-systemd-'), name);
  writeFileSync(file, text.replace(/^ExecStart=\/usr\/bin\/node /m, `ExecStart=${process.execPath} `));
  return file;
}

function analyze(args: string[]) {
  const result = spawnSync('systemd-analyze', args, { encoding: 'utf8' });
  if (result.error)
    throw new Error(`systemd-analyze is not installed (Debian package systemd): ${result.error.message}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('systemd units (services/systemd)', () => {
  for (const name of UNITS) {
    it(`${name} passes systemd-analyze verify without a warning`, () => {
      const { status, stderr } = analyze(['verify', checkable(name)]);
      assert.equal(status, 0, stderr);
      assert.equal(stderr.trim(), '', 'no ignored or unknown setting');
    });

    it(`${name} rates "OK" or better in systemd-analyze security (exposure below ${EXPOSURE_THRESHOLD / 10})`, () => {
      const { status, stdout } = analyze([
        'security',
        '--offline=yes',
        `--threshold=${EXPOSURE_THRESHOLD}`,
        checkable(name),
      ]);
      assert.equal(status, 0, stdout.split('\n').slice(-3).join('\n'));
      assert.match(stdout, /Overall exposure level for engram(-worker)?\.service: [0-1]\.\d/);
    });

    it(`${name} keeps the hardening the docs promise, writing only to the data directory`, () => {
      const text = unitText(name);
      for (const setting of [
        'NoNewPrivileges=yes',
        'ProtectSystem=strict',
        'ReadWritePaths=/var/lib/engram',
        'StateDirectory=engram',
        'PrivateTmp=yes',
        'ProtectHome=yes',
        'CapabilityBoundingSet=',
        'Environment=NODE_ENV=production MCP_MEMORY_BASE_DIR=/var/lib/engram',
        'EnvironmentFile=/etc/engram/engram.env',
      ]) {
        assert.match(text, new RegExp(`^${setting.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), setting);
      }
      // The sandbox restricts itself with Landlock: the syscall filter must let those calls through.
      assert.match(
        text,
        /^SystemCallFilter=@system-service landlock_create_ruleset landlock_add_rule landlock_restrict_self$/m,
      );
    });
  }

  it('catches what it should: a misspelt value is reported, and an unhardened unit fails the security threshold', () => {
    const misspelt = analyze([
      'verify',
      checkable(
        'engram.service',
        unitText('engram.service').replace('ProtectSystem=strict', 'ProtectSystem=strictest'),
      ),
    ]);
    assert.match(misspelt.stderr, /Failed to parse protect system value/);
    const bare = [
      ...unitText('engram.service')
        .split('\n')
        .filter(
          (line) => !/^(Protect|Private|Restrict|NoNew|Capability|Ambient|SystemCall|Lock|Remove|UMask)/.test(line),
        ),
    ].join('\n');
    const { status } = analyze([
      'security',
      '--offline=yes',
      `--threshold=${EXPOSURE_THRESHOLD}`,
      checkable('engram.service', bare),
    ]);
    assert.notEqual(status, 0);
  });
});
