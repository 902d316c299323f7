// Builds the service only when a source file is newer than the last build, so a second `npm start`
// with nothing changed goes straight to booting.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const service = join(root, 'services', 'engram');
const buildInfo = join(service, 'dist', '.tsbuildinfo');

function newestMtime(path) {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return Math.max(stats.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

function builtAt() {
  try {
    return statSync(buildInfo).mtimeMs;
  } catch {
    return 0;
  }
}

const sources = [join(service, 'src'), join(service, 'tsconfig.json'), join(service, 'package.json')];
const lastBuild = builtAt();
if (Math.max(...sources.map(newestMtime)) > lastBuild) {
  process.stderr.write(
    lastBuild === 0
      ? 'Building the service for the first time (a minute or two; later starts build only what changed)…\n'
      : 'Building the service (its sources changed since the last build)…\n',
  );
  execFileSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', join(service, 'tsconfig.json')],
    {
      stdio: 'inherit',
    },
  );
}

// The dashboard bundle (dist/public) follows its sources and the event types it shares with the service.
const dashboardSources = [join(service, 'dashboard'), join(service, 'src', 'events', 'engram-event.ts')];
let dashboardBuiltAt = 0;
try {
  dashboardBuiltAt = statSync(join(service, 'dist', 'public', 'index.html')).mtimeMs;
} catch {
  // never built
}
if (Math.max(...dashboardSources.map(newestMtime)) > dashboardBuiltAt) {
  process.stderr.write('Building the dashboard…\n');
  execFileSync(process.execPath, [join(service, 'dashboard', 'build.mjs')], { stdio: 'inherit' });
}
