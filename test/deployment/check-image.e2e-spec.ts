import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, tempDir } from '../process-harness';

const SCRIPT = join(ROOT, 'scripts', 'check-image.mjs');

/** A directory of stand-in engine CLIs: name → shell script body. */
function stubEngines(scripts: Record<string, string>): string {
  const bin = join(tempDir(), 'bin');
  mkdirSync(bin);
  for (const [name, body] of Object.entries(scripts)) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  return bin;
}

function checkImage(bin: string) {
  return spawnSync(process.execPath, [SCRIPT], { cwd: ROOT, encoding: 'utf8', env: { PATH: bin }, timeout: 60_000 });
}

describe('npm run check:image without a usable container engine', () => {
  it('stops at once with a message saying what to install when there is no engine at all', () => {
    const result = checkImage(stubEngines({}));
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      /check:image needs a container engine: no usable container engine was found\. Install docker/,
    );
    assert.match(result.stderr, /docs\/deployment\.md#checking-the-image/);
  });

  it('says why a docker CLI without its daemon does not count', () => {
    const bin = stubEngines({
      docker: 'echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock" >&2; exit 1',
    });
    const result = checkImage(bin);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /no usable container engine was found \(docker: Cannot connect to the Docker daemon/);
  });

  it('builds with buildah alone, then says that running the containers needs podman or docker', () => {
    const bin = stubEngines({ buildah: 'echo "buildah $*" >&2; exit 0' });
    const result = checkImage(bin);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /buildah bud --format docker -f Dockerfile\.mcp -t engram:check \./);
    assert.match(result.stderr, /buildah built engram:check; running the containers needs podman or docker/);
  });

  it('picks the engine that works, and podman over buildah to run what buildah builds', async () => {
    const { chooseEngines } = await import(SCRIPT);
    assert.deepEqual(chooseEngines({ found: ['podman', 'buildah'], problems: [] }), {
      builder: 'podman',
      runner: 'podman',
    });
    assert.deepEqual(chooseEngines({ found: ['podman', 'buildah'], problems: [] }, 'buildah'), {
      builder: 'buildah',
      runner: 'podman',
    });
    assert.match(chooseEngines({ found: ['podman'], problems: [] }, 'docker').error, /docker is not usable here/);
  });
});
