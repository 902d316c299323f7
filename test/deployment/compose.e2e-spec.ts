import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { serviceHelper } from '../engram-cli';
import { ROOT } from '../process-harness';
import { envOf, finalStage, parseDockerfile, runVllmEntrypoint } from './dockerfile';
import { AGENT_VARIABLES_PENDING, engramConfigVariables } from './engram-variables';

const COMPOSE_FILE = join(ROOT, 'compose.yaml');
const TEST_KEY = 'compose-test-key-0123456789';
const PROFILES = [[], ['gpu'], ['observability'], ['tracing'], ['scale'], ['gpu', 'observability', 'tracing']];
const NGINX_CONFIG = join(ROOT, 'deploy', 'nginx', 'engram-scale.conf');

/** `docker-compose config` (Compose 1.29, no engine needed) with .env.example as the env file. */
function composeConfig(profiles: string[], env: Record<string, string> = { MCP_API_KEY: TEST_KEY }) {
  const args = ['-f', COMPOSE_FILE, '--env-file', join(ROOT, '.env.example')];
  for (const profile of profiles) args.push('--profile', profile);
  const result = spawnSync('docker-compose', [...args, 'config'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
  });
  if (result.error) throw new Error(`docker-compose is not installed (Debian package docker-compose): ${result.error}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function config(profiles: string[] = ['gpu', 'observability']): any {
  const result = composeConfig(profiles);
  assert.equal(result.status, 0, result.stderr);
  return parse(result.stdout);
}

/**
 * The environment a container of `service` starts with: its image's ENV, then compose's entries, where a
 * bare name that .env leaves unset (null after `config`) removes the variable, as Docker does.
 */
function containerEnv(imageEnv: Record<string, string>, service: any): Record<string, string> {
  const env = { ...imageEnv };
  for (const [name, value] of Object.entries<string | null>(service.environment ?? {})) {
    if (value === null) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** Names in a compose `environment` (map once normalised by `config`). */
const envNames = (service: any) => Object.keys(service.environment ?? {});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Seconds in a Compose or nginx duration: 90, 90s, 5m, 1h, 1m30s. */
function parseDuration(text: string | number): number {
  if (typeof text === 'number') return text;
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, '': 1 };
  let seconds = 0;
  for (const [, value, unit] of text.matchAll(/(\d+)([hms]?)/g)) seconds += Number(value) * units[unit];
  return seconds;
}

interface NginxBlock {
  name: string;
  args: string;
  directives: Record<string, string[]>;
  blocks: NginxBlock[];
}

/** A small reader of nginx's configuration syntax: directives and nested blocks, comments dropped. */
function parseNginx(text: string): NginxBlock {
  const tokens = text.replace(/#.*$/gm, '').match(/"[^"]*"|[{};]|[^\s{};]+/g) ?? [];
  let index = 0;
  const read = (name: string, args: string): NginxBlock => {
    const block: NginxBlock = { name, args, directives: {}, blocks: [] };
    let words: string[] = [];
    while (index < tokens.length) {
      const token = tokens[index++];
      if (token === '}') return block;
      if (token === ';') {
        const [directive, ...rest] = words;
        (block.directives[directive] ??= []).push(rest.join(' '));
        words = [];
      } else if (token === '{') {
        const [kind, ...rest] = words;
        block.blocks.push(read([kind, ...rest].join(' '), rest.join(' ')));
        words = [];
      } else words.push(token);
    }
    return block;
  };
  return read('main', '');
}

describe('compose.yaml', () => {
  for (const profiles of PROFILES) {
    it(`passes docker-compose config with profiles [${profiles.join(', ')}]`, () => {
      const parsed = config(profiles);
      assert.deepEqual(Object.keys(parsed.services).sort(), [
        'api',
        'embeddings',
        'grafana',
        'jaeger',
        'postgres',
        'prometheus',
        'proxy',
        'redis',
        'reindex',
        'reranker',
        'scale-api',
        'scale-reindex',
        'scale-worker',
        'vllm',
        'worker',
      ]);
    });
  }

  it('gives every service, in every profile, the environment its image and entrypoint expect', () => {
    const { loadConfig } = serviceHelper('config/config.loader.js');
    const engramImage = envOf(finalStage(parseDockerfile('Dockerfile.mcp')));
    const vllmImage = envOf(parseDockerfile('Dockerfile.vllm'));
    // .env.example as shipped (the gpu variables commented out), and with them present but empty.
    const variants: Record<string, string>[] = [
      {},
      { MEM_AGENT_MAX_MODEL_LEN: '', MEM_AGENT_GPU_MEMORY_UTILIZATION: '' },
    ];
    for (const profiles of PROFILES) {
      for (const extra of variants) {
        const result = composeConfig(profiles, { MCP_API_KEY: TEST_KEY, ...extra });
        assert.equal(result.status, 0, result.stderr);
        for (const [name, service] of Object.entries<any>(parse(result.stdout).services)) {
          const where = `${name} [${profiles.join(', ')}] ${JSON.stringify(extra)}`;
          const unset = Object.keys(service.environment ?? {}).filter((key) => service.environment[key] === null);
          if (service.build?.dockerfile === 'Dockerfile.mcp') {
            const erased = unset.filter((key) => key in engramImage);
            assert.deepEqual(erased, [], `${where}: a bare name would erase the image's default`);
            const config = loadConfig({ env: containerEnv(engramImage, service), cwd: '/app' });
            if (service.profiles?.includes('scale')) assert.equal(config.storage.backend, 'postgres', where);
            else assert.equal(config.storage.sqlitePath, '/data/engram.db', where);
            assert.equal(config.http.host, '0.0.0.0', where);
          } else if (service.build?.dockerfile === 'Dockerfile.vllm') {
            const run = runVllmEntrypoint(containerEnv(vllmImage, service));
            assert.equal(run.status, 0, `${where}: ${run.stderr}`);
            assert.equal(run.argv[run.argv.indexOf('--max-model-len') + 1], '32768', where);
          } else {
            assert.deepEqual(unset, [], `${where}: a third-party image gets only variables with a value`);
            const script = [service.entrypoint, service.command].flat().filter(Boolean).join(' ');
            for (const [, variable] of script.matchAll(/\$\$\{?([A-Z_][A-Z0-9_]*)/g)) {
              assert.ok(service.environment?.[variable], `${where}: its command reads ${variable}`);
            }
          }
        }
      }
    }
  });

  it('refuses to start without MCP_API_KEY and says where to set it', () => {
    const result = composeConfig([], {});
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /MCP_API_KEY is required; copy \.env\.example to \.env/);
  });

  it('runs the api and the worker from one image on one data volume', () => {
    const { services } = config();
    const { api, worker } = services;
    assert.equal(api.image, worker.image);
    assert.equal(api.build.dockerfile, 'Dockerfile.mcp');
    assert.deepEqual(api.command, ['serve']);
    assert.deepEqual(worker.command, ['worker']);
    for (const service of [api, worker]) assert.ok(service.volumes.includes('engram-data:/data:rw'), service.volumes);
    assert.equal(api.environment.MCP_MEMORY_SQLITE_PATH, '/data/engram.db');
    assert.equal(api.environment.MEMORY_DIR, '/data/memory');
    assert.deepEqual(api.environment, worker.environment);
    assert.equal(api.environment.MCP_API_KEY, TEST_KEY);
    assert.equal(api.environment.REDIS_URL, 'redis://redis:6379/0');
    assert.equal(api.environment.MCP_BACKUP_SCHEDULE, '0 3 * * *', 'scheduled backups are on in compose');
    assert.deepEqual(api.ports, ['0.0.0.0:8000:8000/tcp']);
    assert.equal(worker.ports, undefined, 'the worker port stays internal');
  });

  it('starts each service after what it needs is healthy, and checks the worker on its own port', () => {
    const { services } = config();
    assert.equal(services.api.depends_on.redis.condition, 'service_healthy');
    assert.equal(services.worker.depends_on.api.condition, 'service_healthy');
    assert.equal(services.worker.depends_on.redis.condition, 'service_healthy');
    // `engram health <role>` probes the port that process serves (WORKER_HTTP_PORT for the worker).
    assert.deepEqual(services.api.healthcheck.test, ['CMD', 'engram', 'health', 'api']);
    assert.deepEqual(services.worker.healthcheck.test, ['CMD', 'engram', 'health', 'worker']);
    for (const [name, service] of Object.entries<any>(services)) {
      assert.ok(service.healthcheck?.test, `${name} has a health check`);
      // An argument with spaces inside an exec-form check is split by podman 4.x and podman-compose.
      if (service.healthcheck.test[0] === 'CMD') {
        assert.ok(
          service.healthcheck.test.every((arg: string) => !/\s/.test(arg)),
          `${name}: ${service.healthcheck.test}`,
        );
      }
    }
    // Compose v2 refuses to start a service that depends on one whose profile is off.
    for (const [name, service] of Object.entries<any>(services)) {
      if (service.profiles) continue;
      for (const dependency of Object.keys(service.depends_on ?? {})) {
        assert.equal(services[dependency].profiles, undefined, `${name} depends on ${dependency}, which has a profile`);
      }
    }
  });

  it('keeps Redis persistent, without eviction, and unpublished', () => {
    const { redis } = config().services;
    const command = redis.command.join(' ');
    assert.match(command, /--appendonly yes/);
    assert.match(command, /--maxmemory-policy noeviction/);
    assert.ok(redis.volumes.includes('redis-data:/data:rw'));
    assert.equal(redis.ports, undefined);
    assert.match(redis.healthcheck.test.join(' '), /redis-cli ping/);
  });

  it('runs vLLM only in the gpu profile, on an NVIDIA GPU, with a model cache and a long start period', () => {
    const { vllm } = config().services;
    assert.deepEqual(vllm.profiles, ['gpu']);
    assert.equal(vllm.build.dockerfile, 'Dockerfile.vllm');
    assert.deepEqual(vllm.deploy.resources.reservations.devices, [
      { driver: 'nvidia', count: 1, capabilities: ['gpu'] },
    ]);
    assert.ok(vllm.volumes.includes('model-cache:/models:rw'));
    const minutes = Number(/^(\d+)m$/.exec(vllm.healthcheck.start_period)?.[1]);
    assert.ok(minutes >= 10, `start_period ${vllm.healthcheck.start_period}`);
    assert.deepEqual(vllm.healthcheck.test, ['CMD', 'mem-agent-health'], "the image's own health script");
    assert.equal(vllm.ports, undefined, 'reachable only inside the compose network');
  });

  it('names the user of the upstream vLLM servers, which run as a uid their image has no passwd entry for', () => {
    const services = Object.entries<any>(config(['gpu']).services).filter(([, service]) =>
      String(service.image).startsWith('vllm/vllm-openai:'),
    );
    assert.deepEqual(services.map(([name]) => name).sort(), ['embeddings', 'reranker']);
    for (const [name, service] of services) {
      assert.equal(service.user, '10002:10002', name);
      // torch's compile cache asks getpass.getuser(), which reads USER before /etc/passwd (KeyError there).
      assert.equal(service.environment.USER, 'vllm', name);
    }
  });

  it('points the agent at the vLLM service when VLLM_HOST=vllm', () => {
    const result = composeConfig(['gpu'], { MCP_API_KEY: TEST_KEY, VLLM_HOST: 'vllm', VLLM_API_KEY: 'shared-key' });
    assert.equal(result.status, 0, result.stderr);
    const { api, vllm } = parse(result.stdout).services;
    assert.equal(api.environment.VLLM_HOST, 'vllm');
    assert.equal(api.environment.VLLM_PORT, '8000');
    assert.equal(api.environment.AGENT_MODEL, 'driaforall/mem-agent');
    assert.equal(api.environment.VLLM_API_KEY, 'shared-key');
    assert.equal(vllm.environment.VLLM_API_KEY, 'shared-key');
    // Unset variables stay unset in the container, so Engram's own defaults apply.
    assert.equal(config().services.api.environment.VLLM_HOST, null);
  });

  it('scrapes the api and the worker with the API key and provisions the chart dashboard in Grafana', () => {
    const { prometheus, grafana, api } = config().services;
    assert.deepEqual(prometheus.profiles, ['observability']);
    assert.deepEqual(grafana.profiles, ['observability']);
    const promConfigMount = prometheus.volumes.find((v: string) => v.endsWith(':/etc/prometheus/prometheus.yml:ro'));
    assert.ok(promConfigMount, prometheus.volumes);
    const promConfig = parse(readFileSync(promConfigMount.split(':')[0], 'utf8'));
    const engramJob = promConfig.scrape_configs.find((job: any) => job.job_name === 'engram');
    const targets = engramJob.static_configs.flatMap((c: any) => c.targets);
    assert.deepEqual(targets, [`api:${api.environment.MCP_HTTP_PORT}`, `worker:${api.environment.WORKER_HTTP_PORT}`]);
    const keyFile = engramJob.authorization.credentials_file;
    // `config` prints the escaped `$$`; the container's shell receives `$MCP_API_KEY`.
    const writesKey = prometheus.entrypoint.join(' ').includes(`printf '%s' "$$MCP_API_KEY" > ${keyFile}`);
    assert.ok(writesKey, `the entrypoint writes the key to ${keyFile}`);
    assert.ok(
      prometheus.tmpfs.some((dir: string) => keyFile.startsWith(`${dir}/`)),
      'the key file is on a tmpfs',
    );

    const mounts = Object.fromEntries(
      grafana.volumes.map((v: string) => v.split(':')).map(([source, target]: string[]) => [target, source]),
    );
    assert.equal(mounts['/etc/grafana/dashboards/engram'], join(ROOT, 'charts', 'engram', 'dashboards'));
    const provisioning = mounts['/etc/grafana/provisioning'];
    const provisioned = filesUnder(provisioning).map((file) => parse(readFileSync(file, 'utf8')));
    const providers = provisioned.flatMap((doc) => doc.providers ?? []);
    assert.deepEqual(
      providers.map((p: any) => p.options.path),
      ['/etc/grafana/dashboards/engram'],
    );
    const datasources = provisioned.flatMap((doc) => doc.datasources ?? []);
    assert.deepEqual(
      datasources.map((d: any) => [d.type, d.url]),
      [['prometheus', 'http://prometheus:9090']],
    );
    assert.ok(existsSync(join(ROOT, 'charts', 'engram', 'dashboards', 'engram.json')));
    for (const service of [prometheus, grafana]) {
      for (const port of service.ports) assert.match(port, /^127\.0\.0\.1:/, 'observability stays on loopback');
    }
  });

  it('passes every Engram setting through, and only settings Engram reads or an open issue declares', () => {
    const { api } = config().services;
    const passed = new Set(envNames(api));
    const read = engramConfigVariables();
    for (const name of read) assert.ok(passed.has(name), `${name} is read by Engram but not passed by compose.yaml`);
    for (const name of passed) {
      assert.ok(
        read.has(name) || AGENT_VARIABLES_PENDING.includes(name),
        `${name} is passed but Engram never reads it`,
      );
    }
  });

  it('lists in .env.example exactly the variables compose.yaml reads', () => {
    const text = readFileSync(COMPOSE_FILE, 'utf8');
    const substituted = [...text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]);
    // Names in an environment list without a value, or keys of an environment mapping without one.
    const passedThrough = [...text.matchAll(/^\s*(?:- ([A-Z_][A-Z0-9_]*)|([A-Z_][A-Z0-9_]*):)$/gm)].map(
      (m) => m[1] ?? m[2],
    );
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
    const documented = [...example.matchAll(/^#? ?([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]);
    assert.deepEqual([...new Set(documented)].sort(), [...new Set([...substituted, ...passedThrough])].sort());
  });
  it('runs the scale profile on PostgreSQL: three api replicas and two workers with one environment, behind a proxy', () => {
    const { services } = config(['scale']);
    const { postgres, proxy, redis } = services;
    const api = services['scale-api'];
    const worker = services['scale-worker'];
    const reindex = services['scale-reindex'];
    for (const service of [postgres, proxy, api, worker, reindex]) assert.deepEqual(service.profiles, ['scale']);
    assert.equal(redis.profiles, undefined, 'the one Redis serves both stacks');
    assert.equal(postgres.image, 'pgvector/pgvector:pg17');
    assert.equal(postgres.ports, undefined, 'the database stays inside the compose network');
    assert.deepEqual(postgres.healthcheck.test.slice(0, 2), ['CMD', 'pg_isready']);
    assert.deepEqual([api.deploy.replicas, worker.deploy.replicas], [3, 2]);
    assert.deepEqual([api.command, worker.command], [['serve'], ['worker']]);
    assert.equal(api.image, services.api.image, 'the same image as the single-node stack');
    assert.deepEqual(api.environment, worker.environment);
    assert.deepEqual(reindex.environment, api.environment);
    const env = api.environment;
    assert.equal(env.MCP_MEMORY_STORAGE_BACKEND, 'postgres');
    const url = new URL(env.DATABASE_URL);
    assert.deepEqual(
      [url.hostname, url.port, url.username, decodeURIComponent(url.password), url.pathname],
      [
        'postgres',
        '5432',
        postgres.environment.POSTGRES_USER,
        postgres.environment.POSTGRES_PASSWORD,
        `/${postgres.environment.POSTGRES_DB}`,
      ],
      "the URL names the profile's own server, role and database",
    );
    assert.equal(env.REDIS_URL, services.api.environment.REDIS_URL, 'events, limits and jobs shared through Redis');
    assert.ok(env.ENGRAM_TRUSTED_PROXIES, "the proxy's X-Forwarded-For names the client");
    // The same settings as the single-node stack, apart from the storage.
    const differing = Object.keys(env).filter((name) => env[name] !== services.api.environment[name]);
    assert.deepEqual(differing.sort(), ['DATABASE_URL', 'ENGRAM_TRUSTED_PROXIES', 'MCP_MEMORY_STORAGE_BACKEND']);
    for (const service of [api, worker, reindex]) {
      assert.ok(!service.volumes.some((v: string) => v.startsWith('engram-data:')), "never the SQLite stack's volume");
      assert.ok(service.volumes.includes('engram-scale-data:/data:rw'), 'backups shared by the replicas');
    }
    assert.equal(api.ports, undefined, 'clients come through the proxy');
    assert.equal(api.depends_on.postgres.condition, 'service_healthy');
    assert.equal(
      api.depends_on['scale-reindex'].condition,
      'service_completed_successfully',
      're-embedded before they start',
    );
    assert.equal(worker.depends_on['scale-api'].condition, 'service_healthy');
    assert.ok(parseDuration(worker.stop_grace_period) >= 120, 'time for a running job to go back to the queue');
    assert.equal(proxy.depends_on['scale-api'].condition, 'service_healthy');
    assert.ok(proxy.depends_on['scale-worker'], '`up proxy` starts the workers too');
    assert.deepEqual(proxy.ports, ['0.0.0.0:8000:8080/tcp'], 'where the single-node api listens');
  });

  it('streams SSE and MCP through the proxy unbuffered, over HTTP/1.1, with long timeouts, to every replica', () => {
    const { proxy, 'scale-api': api } = config(['scale']).services;
    const mount = proxy.volumes.find((v: string) => v.endsWith(':/etc/nginx/conf.d/default.conf:ro'));
    assert.equal(mount?.split(':')[0], NGINX_CONFIG);
    const nginx = parseNginx(readFileSync(NGINX_CONFIG, 'utf8'));
    const server = nginx.blocks.find((b) => b.name === 'server')!;
    assert.deepEqual(server.directives.listen, [proxy.ports[0].split(':').at(-1).replace('/tcp', '')]);
    assert.deepEqual(server.directives.proxy_http_version, ['1.1']);
    assert.deepEqual(
      server.directives.proxy_set_header?.filter((h) => h.startsWith('Connection ')),
      ['Connection ""'],
    );
    assert.ok(server.directives.proxy_set_header?.includes('X-Forwarded-For $proxy_add_x_forwarded_for'));
    const upstream = nginx.blocks.find((b) => b.name.startsWith('upstream '))!;
    assert.deepEqual(upstream.directives.server, [`scale-api:${api.environment.MCP_HTTP_PORT} resolve`]);
    assert.ok(nginx.directives.resolver?.[0].startsWith('127.0.0.11 '), "Docker's DNS, asked again as replicas change");
    for (const path of ['/api/events', '/mcp']) {
      const location = server.blocks.find((b) => b.name === `location ${path}`);
      assert.ok(location, `a location for ${path}`);
      assert.deepEqual(location.directives.proxy_pass, [`http://${upstream.args}`], path);
      assert.deepEqual(location.directives.proxy_buffering, ['off'], `${path} is not buffered`);
      assert.ok(parseDuration(location.directives.proxy_read_timeout[0]) >= 600, `${path} read timeout`);
    }
    const mcp = server.blocks.find((b) => b.name === 'location /mcp')!;
    assert.deepEqual(mcp.directives.proxy_request_buffering, ['off'], 'MCP requests streamed in too');
  });
});
