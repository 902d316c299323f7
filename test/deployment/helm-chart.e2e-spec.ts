import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  CHART_DIR,
  container,
  danglingReferences,
  envVar,
  find,
  helm,
  importMaxUploadBytes,
  K8sObject,
  nginxSize,
  only,
  podSpec,
  renderChart,
  selects,
  validateObjects,
  valuesFile,
  workloads,
} from './manifests';
import { serviceHelper } from '../engram-cli';
import { tempDir } from '../process-harness';
import { AGENT_VARIABLES_PENDING, engramConfigVariables } from './engram-variables';

interface ValueSet {
  values: object;
  /** Secrets the values say exist outside the release. */
  existingSecrets?: string[];
}

const VALUE_SETS: Record<string, ValueSet> = {
  defaults: { values: {} },
  'GPU enabled': {
    values: {
      vllm: { enabled: true, runtimeClassName: 'nvidia', nodeSelector: { 'nvidia.com/gpu.present': 'true' } },
    },
  },
  'three vLLM replicas and an OpenRouter fallback': {
    values: {
      vllm: { enabled: true, replicas: 3, modelCache: { accessMode: 'ReadWriteMany' } },
      agent: {
        fallback: {
          baseUrl: 'openrouter',
          model: 'qwen/qwen3-235b-a22b',
          existingSecret: 'engram-openrouter',
          existingSecretKey: 'key',
        },
      },
      metrics: { serviceMonitor: { enabled: true } },
    },
    existingSecrets: ['engram-openrouter'],
  },
  'external Redis': {
    values: { redis: { enabled: false, external: { existingSecret: 'engram-redis-url', existingSecretKey: 'url' } } },
    existingSecrets: ['engram-redis-url'],
  },
  'ingress + TLS + existing secret': {
    values: {
      auth: { existingSecret: 'engram-api-key', existingSecretKey: 'key' },
      ingress: {
        enabled: true,
        hosts: ['memory.example.org'],
        tls: [{ secretName: 'engram-tls', hosts: ['memory.example.org'] }],
        annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt' },
      },
    },
    existingSecrets: ['engram-api-key'],
  },
  'metrics on': {
    values: {
      metrics: {
        serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
        prometheusRule: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
        dashboard: { enabled: true },
      },
    },
  },
  'embedded: no worker, no Redis, no persistence': {
    values: { worker: { enabled: false }, redis: { enabled: false }, persistence: { enabled: false } },
  },
  'OAuth behind a TLS ingress, API and MCP paths only': {
    values: {
      auth: {
        oauth: {
          enabled: true,
          registrationToken: { existingSecret: 'engram-oauth-registration', existingSecretKey: 'token' },
        },
      },
      ingress: {
        enabled: true,
        hosts: ['memory.example.org'],
        paths: ['/api', '/mcp'],
        tls: [{ secretName: 'engram-tls', hosts: ['memory.example.org'] }],
      },
    },
    existingSecrets: ['engram-oauth-registration'],
  },
  'encrypted, with its own Redis prefix': {
    values: { encryption: { enabled: true }, redis: { keyPrefix: 'engram-prod' } },
  },
  'encrypted with an existing key': {
    values: { encryption: { enabled: true, existingSecret: 'engram-db-key', existingSecretKey: 'key' } },
    existingSecrets: ['engram-db-key'],
  },
  'everything on': {
    values: {
      auth: {
        apiKey: 'a-sufficiently-long-test-key',
        oauth: { enabled: true, accessTokenSeconds: 900, refreshTokenDays: 7 },
      },
      vllm: { enabled: true, runtimeClassName: 'nvidia', gpu: { resourceName: 'nvidia.com/mig-3g.20gb' } },
      persistence: { storageClass: 'fast-ssd', backups: { enabled: true } },
      ingress: { enabled: true, tls: [{ secretName: 'engram-tls', hosts: ['engram.example.com'] }] },
      metrics: {
        serviceMonitor: { enabled: true },
        prometheusRule: { enabled: true },
        dashboard: { enabled: true, namespace: 'monitoring' },
      },
      networkPolicy: {
        apiFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }],
      },
      config: { LOG_LEVEL: 'debug', ENGRAM_TIMEZONE: 'Europe/Paris' },
      tracing: {
        endpoint: 'http://otel-collector.monitoring:4318',
        sampler: 'parentbased_traceidratio',
        samplerRatio: 0.2,
        resourceAttributes: { 'deployment.environment': 'staging area' },
        headersSecret: { name: 'otel-headers' },
      },
    },
    existingSecrets: ['otel-headers'],
  },
  'PostgreSQL from an existing Secret: three api replicas, two workers, scraped': {
    values: {
      storage: { backend: 'postgres' },
      postgresql: { existingSecret: 'engram-db', existingSecretKey: 'dsn', poolSize: 20 },
      api: { replicas: 3 },
      worker: { replicas: 2 },
      metrics: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } },
      vllm: { enabled: true },
      retrieval: { embedding: { enabled: true } },
    },
    existingSecrets: ['engram-db'],
  },
  'PostgreSQL from a URL, autoscaled, backups on a shared volume': {
    values: {
      storage: { backend: 'postgres' },
      postgresql: { url: 'postgres://engram:s3cret-pw@db.internal:5432/engram', statementTimeoutMs: 30000 },
      api: {
        autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 8, targetCPUUtilizationPercentage: 60 },
        topologySpreadConstraints: [
          { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' },
        ],
      },
      persistence: { backups: { enabled: true, accessMode: 'ReadWriteMany', storageClass: 'nfs' } },
    },
  },
  'PostgreSQL on a CloudNativePG cluster with its backups': {
    values: {
      storage: { backend: 'postgres' },
      postgresql: {
        cnpg: {
          enabled: true,
          instances: 2,
          imageName: 'ghcr.io/cloudnative-pg/postgresql:17-system-trixie',
          storage: { size: '50Gi', storageClass: 'fast-ssd' },
          backup: {
            retentionPolicy: '30d',
            barmanObjectStore: {
              destinationPath: 's3://backups/engram',
              s3Credentials: { accessKeyId: { name: 'aws', key: 'id' }, secretAccessKey: { name: 'aws', key: 'key' } },
            },
          },
        },
      },
      api: { replicas: 2 },
    },
  },
  'PostgreSQL, one api, jobs inside it, no Redis': {
    values: {
      storage: { backend: 'postgres' },
      postgresql: { existingSecret: 'engram-db' },
      worker: { enabled: false },
      redis: { enabled: false },
    },
    existingSecrets: ['engram-db'],
  },
};

const PG_REPLICAS = 'PostgreSQL from an existing Secret: three api replicas, two workers, scraped';
const PG_URL = 'PostgreSQL from a URL, autoscaled, backups on a shared volume';
const PG_CNPG = 'PostgreSQL on a CloudNativePG cluster with its backups';

const rendered = new Map<string, K8sObject[]>();
function render(name: string): K8sObject[] {
  if (!rendered.has(name)) rendered.set(name, renderChart(VALUE_SETS[name].values));
  return rendered.get(name)!;
}

const api = (objects: K8sObject[]) => only(objects, 'Deployment', 'mem-engram');
const vllm = (objects: K8sObject[]) => only(objects, 'Deployment', 'mem-engram-vllm');
const worker = (objects: K8sObject[]) => only(objects, 'Deployment', 'mem-engram-worker');

/** Asserts that rendering fails and that helm's message contains every expected fragment. */
function assertRefused(values: object, ...fragments: string[]) {
  assert.throws(
    () => renderChart(values),
    (error: Error) => {
      for (const fragment of fragments)
        assert.ok(error.message.includes(fragment), `"${fragment}" in: ${error.message}`);
      return true;
    },
  );
}

describe('Helm chart charts/engram', () => {
  it('passes helm lint --strict with every value set', () => {
    for (const [name, { values }] of Object.entries(VALUE_SETS)) {
      const result = helm(['lint', '--strict', CHART_DIR, '-f', valuesFile(values)]);
      assert.equal(result.status, 0, `${name}:\n${result.stdout}${result.stderr}`);
      assert.match(result.stdout, /0 chart\(s\) failed/);
    }
  });

  for (const [name, set] of Object.entries(VALUE_SETS)) {
    it(`renders valid Kubernetes objects with no dangling reference: ${name}`, async () => {
      const objects = render(name);
      assert.ok(objects.length >= 6, `only ${objects.length} objects`);
      assert.deepEqual(await validateObjects(objects), []);
      assert.deepEqual(danglingReferences(objects, set.existingSecrets), []);
    });
  }

  it('mounts the one data PVC at /data in both the api and the worker container of one pod', () => {
    const objects = render('defaults');
    const deployment = api(objects);
    assert.equal(deployment.spec.replicas, 1);
    assert.equal(deployment.spec.strategy.type, 'Recreate');
    const pvc = only(objects, 'PersistentVolumeClaim', 'mem-engram-data');
    assert.deepEqual(pvc.spec.accessModes, ['ReadWriteOnce']);
    const dataVolume = podSpec(deployment).volumes.find((v: any) => v.name === 'data');
    assert.equal(dataVolume.persistentVolumeClaim.claimName, pvc.metadata.name);
    for (const name of ['api', 'worker']) {
      const mount = container(deployment, name).volumeMounts.find((m: any) => m.name === 'data');
      assert.equal(mount?.mountPath, '/data', `${name} mounts the data volume`);
    }
    assert.deepEqual(container(deployment, 'api').args, ['serve']);
    assert.deepEqual(container(deployment, 'worker').args, ['worker']);
    assert.equal(find(objects, 'Deployment').length, 1, 'no separate worker Deployment on SQLite');
  });

  it('points the database, memory directory and backups into the mounted volumes', () => {
    const config = only(render('defaults'), 'ConfigMap', 'mem-engram').data;
    assert.equal(config.MCP_MEMORY_SQLITE_PATH, '/data/engram.db');
    assert.equal(config.MEMORY_DIR, '/data/memory');
    assert.equal(config.MCP_MEMORY_BACKUPS_PATH, '/data/backups');
    assert.equal(config.MCP_HTTP_HOST, '0.0.0.0');
    assert.equal(config.MCP_BACKUP_SCHEDULE, '0 3 * * *', 'scheduled backups are on in Kubernetes');
    const everything = render('everything on');
    assert.equal(only(everything, 'ConfigMap', 'mem-engram').data.MCP_MEMORY_BACKUPS_PATH, '/backups');
    const mount = container(api(everything), 'worker').volumeMounts.find((m: any) => m.mountPath === '/backups');
    assert.ok(mount, 'the worker writes backups to their own volume');
  });

  it("lets running agent questions reply within the api's grace period, after the preStop pause", () => {
    const grace = (objects: K8sObject[]) =>
      Number(only(objects, 'ConfigMap', 'mem-engram').data.ENGRAM_AGENT_SHUTDOWN_GRACE_SECONDS);
    // api.terminationGracePeriodSeconds is 60. SQLite: SIGTERM at once, 15 s kept to stop the rest.
    assert.equal(grace(render('defaults')), 60 - 15);
    // PostgreSQL: the preStop pause (10 s) comes out of the same period.
    assert.equal(grace(render(PG_URL)), 60 - 10 - 15);
    assert.equal(grace(renderChart({ api: { terminationGracePeriodSeconds: 300 } })), 300 - 15);
    assert.equal(grace(renderChart({ api: { terminationGracePeriodSeconds: 10 } })), 0, 'never negative');
  });

  it('sets only variables Engram reads (or the agent issue declares) in the Engram containers', () => {
    const known = new Set([...engramConfigVariables(), ...AGENT_VARIABLES_PENDING]);
    for (const name of ['defaults', 'GPU enabled', 'everything on', PG_REPLICAS, PG_URL]) {
      const objects = render(name);
      const names = [
        ...Object.keys(only(objects, 'ConfigMap', 'mem-engram').data),
        ...workloads(objects)
          .filter((w) => w.metadata.name === 'mem-engram' || w.metadata.name === 'mem-engram-worker')
          .flatMap((w) => podSpec(w).containers.flatMap((c: any) => c.env.map((e: any) => e.name))),
      ];
      // REDIS_PASSWORD only feeds $(REDIS_PASSWORD) in REDIS_URL.
      const unknown = names.filter((n) => !known.has(n) && n !== 'REDIS_PASSWORD');
      assert.deepEqual(unknown, [], `${name}: variables Engram never reads`);
    }
  });

  it('turns the tracing values into the OTEL_* variables Engram reads, the exporter headers from a Secret', () => {
    const { loadConfig } = serviceHelper('config/config.loader.js');
    const objects = render('everything on');
    const data = only(objects, 'ConfigMap', 'mem-engram').data;
    const tracing = loadConfig({ env: { ...data, MCP_API_KEY: 'a-sufficiently-long-test-key' }, cwd: '/app' }).tracing;
    assert.equal(tracing.tracesEndpoint, 'http://otel-collector.monitoring:4318/v1/traces');
    assert.equal(tracing.sampler, 'parentbased_traceidratio');
    assert.equal(tracing.samplerRatio, 0.2);
    assert.deepEqual(tracing.resourceAttributes, { 'deployment.environment': 'staging area' });
    for (const name of ['api', 'worker']) {
      const headers = envVar(container(api(objects), name), 'OTEL_EXPORTER_OTLP_HEADERS');
      assert.deepEqual(headers.valueFrom.secretKeyRef, { name: 'otel-headers', key: 'headers' }, name);
    }
    const off = only(render('defaults'), 'ConfigMap', 'mem-engram').data;
    assert.ok(!Object.keys(off).some((key) => key.startsWith('OTEL_')), 'off by default');
  });

  it('requests the GPU on the vLLM container only, with the configured resource name', () => {
    for (const [name, resource] of [
      ['GPU enabled', 'nvidia.com/gpu'],
      ['everything on', 'nvidia.com/mig-3g.20gb'],
    ]) {
      const objects = render(name);
      const model = container(vllm(objects), 'vllm');
      assert.equal(model.resources.limits[resource], 1, name);
      assert.equal(model.resources.requests[resource], 1, name);
      for (const workload of workloads(objects)) {
        for (const c of podSpec(workload).containers) {
          if (workload === vllm(objects)) continue;
          const keys = Object.keys({ ...c.resources?.requests, ...c.resources?.limits });
          assert.ok(!keys.some((key) => key.includes('gpu')), `${workload.metadata.name}/${c.name} asks for no GPU`);
        }
      }
    }
    assert.equal(find(render('defaults'), 'Deployment', 'mem-engram-vllm').length, 0, 'no vLLM by default');
  });

  it('serves mem-agent with the reference flags, a model cache, /dev/shm and a long startup probe', () => {
    const objects = render('GPU enabled');
    const deployment = vllm(objects);
    const spec = podSpec(deployment);
    const model = container(deployment, 'vllm');
    assert.deepEqual(model.command, ['vllm', 'serve']);
    assert.equal(model.args[0], 'driaforall/mem-agent');
    for (const flag of [
      '--served-model-name=driaforall/mem-agent',
      '--max-model-len=32768',
      '--dtype=bfloat16',
      '--gpu-memory-utilization=0.9',
      '--generation-config=auto',
    ]) {
      assert.ok(model.args.includes(flag), flag);
    }
    const override = model.args.find((arg: string) => arg.startsWith('--override-generation-config='));
    assert.deepEqual(JSON.parse(override.split('=').slice(1).join('=')), {
      temperature: 0.6,
      top_p: 0.95,
      top_k: 20,
      min_p: 0,
    });
    assert.ok(!model.args.some((arg: string) => /reasoning-parser|tool-call-parser/.test(arg)));
    assert.ok(model.args.includes('--api-key=$(VLLM_API_KEY)'), 'the key is expanded from the Secret-backed env');
    assert.equal(spec.runtimeClassName, 'nvidia');
    assert.deepEqual(spec.nodeSelector, { 'nvidia.com/gpu.present': 'true' });
    assert.ok(spec.tolerations.some((t: any) => t.key === 'nvidia.com/gpu'));
    const shm = spec.volumes.find((v: any) => v.name === 'dshm');
    assert.equal(shm.emptyDir.medium, 'Memory');
    assert.ok(model.volumeMounts.some((m: any) => m.name === 'dshm' && m.mountPath === '/dev/shm'));
    const cache = spec.volumes.find((v: any) => v.name === 'model-cache');
    assert.equal(
      cache.persistentVolumeClaim.claimName,
      only(objects, 'PersistentVolumeClaim', 'mem-engram-model-cache').metadata.name,
    );
    assert.equal(envVar(model, 'HF_HOME').value.startsWith('/models'), true);
    const startup = model.startupProbe;
    assert.equal(startup.httpGet.path, '/health');
    assert.ok(startup.periodSeconds * startup.failureThreshold >= 600, 'at least 10 minutes for the first download');
    assert.ok(envVar(model, 'VLLM_API_KEY').valueFrom.secretKeyRef, 'vLLM requires a key from a Secret');
  });

  it('wires the agent to the vLLM Service with the same key', () => {
    const objects = render('GPU enabled');
    const service = only(objects, 'Service', 'mem-engram-vllm');
    for (const name of ['api', 'worker']) {
      const engram = container(api(objects), name);
      assert.equal(envVar(engram, 'VLLM_HOST').value, service.metadata.name);
      assert.equal(envVar(engram, 'VLLM_PORT').value, String(service.spec.ports[0].port));
      assert.equal(envVar(engram, 'AGENT_MODEL').value, 'driaforall/mem-agent');
      assert.deepEqual(
        envVar(engram, 'VLLM_API_KEY').valueFrom.secretKeyRef,
        envVar(container(vllm(objects), 'vllm'), 'VLLM_API_KEY').valueFrom.secretKeyRef,
      );
    }
    const policy = only(objects, 'NetworkPolicy', 'mem-engram-vllm');
    const apiLabels = api(objects).spec.template.metadata.labels;
    assert.equal(policy.spec.ingress.length, 1);
    assert.ok(selects(policy.spec.ingress[0].from[0].podSelector.matchLabels, apiLabels), 'only the Engram pod');
    assert.ok(selects(policy.spec.podSelector.matchLabels, vllm(objects).spec.template.metadata.labels));
  });

  it('runs vllm.replicas model servers behind the one Service, replaced one at a time, each scraped', () => {
    const objects = render('three vLLM replicas and an OpenRouter fallback');
    const deployment = vllm(objects);
    assert.equal(deployment.spec.replicas, 3);
    assert.deepEqual(deployment.spec.strategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
    });
    const service = only(objects, 'Service', 'mem-engram-vllm');
    assert.ok(selects(service.spec.selector, deployment.spec.template.metadata.labels), 'the Service spans every pod');
    assert.equal(envVar(container(api(objects), 'api'), 'VLLM_HOST').value, service.metadata.name);
    const monitor = only(objects, 'ServiceMonitor', 'mem-engram-vllm');
    assert.ok(selects(monitor.spec.selector.matchLabels, service.metadata.labels), "scrapes every pod's /metrics");
    assert.equal(monitor.spec.endpoints[0].path, '/metrics');
    const single = vllm(render('GPU enabled'));
    assert.deepEqual([single.spec.replicas, single.spec.strategy], [1, { type: 'Recreate' }]);
    assert.equal(find(render('GPU enabled'), 'ServiceMonitor').length, 0, 'no ServiceMonitor without the operator');
  });

  it('wires the fallback endpoint into the api and worker, its key from a Secret and never in the ConfigMap', () => {
    const objects = render('three vLLM replicas and an OpenRouter fallback');
    for (const name of ['api', 'worker']) {
      const engram = container(api(objects), name);
      assert.equal(envVar(engram, 'ENGRAM_AGENT_FALLBACK_BASE_URL').value, 'openrouter');
      assert.equal(envVar(engram, 'ENGRAM_AGENT_FALLBACK_MODEL').value, 'qwen/qwen3-235b-a22b');
      assert.deepEqual(envVar(engram, 'ENGRAM_AGENT_FALLBACK_API_KEY').valueFrom.secretKeyRef, {
        name: 'engram-openrouter',
        key: 'key',
      });
    }
    const config = JSON.stringify(only(objects, 'ConfigMap', 'mem-engram').data);
    assert.ok(!config.includes('FALLBACK'), config);
    for (const name of ['api', 'worker'])
      assert.equal(envVar(container(api(render('GPU enabled')), name), 'ENGRAM_AGENT_FALLBACK_BASE_URL'), undefined);
  });

  it('tells about the vLLM replicas and the fallback endpoint in the release notes', () => {
    const values = valuesFile(VALUE_SETS['three vLLM replicas and an OpenRouter fallback'].values);
    const result = helm(['install', 'mem', CHART_DIR, '--dry-run=client', '--namespace', 'engram', '-f', values]);
    assert.equal(result.status, 0, result.stderr);
    const notes = result.stdout.slice(result.stdout.indexOf('NOTES:'));
    assert.match(notes, /3 vLLM replicas serve behind the Service mem-engram-vllm/);
    assert.match(notes, /Fallback model endpoint: openrouter \(model qwen\/qwen3-235b-a22b\)/);
  });

  it('gives every long-running container startup and liveness probes, and readiness where traffic goes', () => {
    for (const name of ['defaults', 'everything on', PG_REPLICAS]) {
      // A test Pod and the reindex Job run to their end: nothing to probe.
      for (const workload of workloads(render(name)).filter((w) => !['Pod', 'Job'].includes(w.kind))) {
        for (const c of podSpec(workload).containers) {
          const id = `${name}: ${workload.metadata.name}/${c.name}`;
          assert.ok(c.startupProbe, `${id} startupProbe`);
          assert.ok(c.livenessProbe, `${id} livenessProbe`);
          // Readiness is per pod: a worker waiting for Redis must not take the api out of its Service.
          if (c.name === 'worker') assert.equal(c.readinessProbe, undefined, id);
          else assert.ok(c.readinessProbe, `${id} readinessProbe`);
        }
      }
    }
    const engram = container(api(render('defaults')), 'api');
    assert.equal(engram.livenessProbe.httpGet.path, '/health/live');
    // /health/ready needs the key: `engram health` reads it from the container's environment.
    assert.deepEqual(engram.readinessProbe.exec.command, ['engram', 'health', 'api', '--ready']);
  });

  it('runs every pod as non-root without privilege escalation', () => {
    for (const name of Object.keys(VALUE_SETS)) {
      for (const workload of workloads(render(name))) {
        const spec = podSpec(workload);
        for (const c of spec.containers) {
          const id = `${name}: ${workload.kind}/${workload.metadata.name}/${c.name}`;
          const nonRoot = c.securityContext?.runAsNonRoot ?? spec.securityContext?.runAsNonRoot;
          const uid = c.securityContext?.runAsUser ?? spec.securityContext?.runAsUser;
          assert.equal(nonRoot, true, `${id} runAsNonRoot`);
          assert.ok(uid === undefined || uid > 0, `${id} uid ${uid}`);
          assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${id} allowPrivilegeEscalation`);
          assert.notEqual(c.securityContext?.privileged, true, `${id} privileged`);
          assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${id} drops capabilities`);
        }
        assert.equal(spec.automountServiceAccountToken, false, `${workload.metadata.name} has no API token`);
        // A Service named vllm would otherwise inject VLLM_PORT=tcp://…, which Engram and vLLM both read.
        assert.equal(spec.enableServiceLinks, false, `${workload.metadata.name} gets no service link variables`);
      }
    }
  });

  it('names the user of every vLLM server, whose uid the upstream image has no passwd entry for', () => {
    const objects = renderChart({
      vllm: { enabled: true },
      retrieval: { embedding: { enabled: true }, reranker: { enabled: true } },
    });
    const servers = workloads(objects).filter((w) =>
      podSpec(w).containers.some((c: any) => c.image.startsWith('vllm/vllm-openai:')),
    );
    assert.deepEqual(servers.map((w) => w.metadata.name).sort(), [
      'mem-engram-embedding',
      'mem-engram-reranker',
      'mem-engram-vllm',
    ]);
    for (const server of servers) {
      assert.ok(podSpec(server).securityContext.runAsUser > 0, `${server.metadata.name} runs as a chosen uid`);
      // torch's compile cache asks getpass.getuser(), which reads USER before /etc/passwd (KeyError there).
      assert.equal(envVar(container(server, 'vllm'), 'USER')?.value, 'vllm', server.metadata.name);
    }
  });

  it('reads the API key from a Secret, never from a literal value', () => {
    const objects = render('defaults');
    const secret = only(objects, 'Secret', 'mem-engram-auth');
    const key = Buffer.from(secret.data['api-key'], 'base64').toString();
    assert.match(key, /^[A-Za-z0-9]{48}$/, 'a generated 48-character key');
    for (const name of ['api', 'worker']) {
      const ref = envVar(container(api(objects), name), 'MCP_API_KEY').valueFrom.secretKeyRef;
      assert.deepEqual(ref, { name: 'mem-engram-auth', key: 'api-key' });
    }

    const existing = render('ingress + TLS + existing secret');
    assert.equal(find(existing, 'Secret', 'mem-engram-auth').length, 0, 'no chart Secret beside the existing one');
    const ref = envVar(container(api(existing), 'api'), 'MCP_API_KEY').valueFrom.secretKeyRef;
    assert.deepEqual(ref, { name: 'engram-api-key', key: 'key' });

    const given = render('everything on');
    const stored = Buffer.from(only(given, 'Secret', 'mem-engram-auth').data['api-key'], 'base64').toString();
    assert.equal(stored, 'a-sufficiently-long-test-key');
    for (const object of given.filter((o) => o.kind !== 'Secret')) {
      assert.ok(!JSON.stringify(object).includes('a-sufficiently-long-test-key'), `${object.kind} holds no key`);
    }
    for (const workload of workloads(given)) {
      for (const c of podSpec(workload).containers) {
        for (const entry of c.env ?? []) {
          if (/KEY|PASSWORD|TOKEN/.test(entry.name)) assert.equal(entry.value, undefined, `${c.name} ${entry.name}`);
        }
      }
    }
  });

  it('runs a password-protected, persistent Redis that BullMQ can trust, reachable only from Engram', () => {
    const objects = render('defaults');
    const redis = only(objects, 'StatefulSet', 'mem-engram-redis');
    const server = container(redis, 'redis');
    const command = server.command.join(' ');
    assert.match(command, /--requirepass "\$REDIS_PASSWORD"/);
    assert.match(command, /--appendonly yes/);
    assert.match(command, /--maxmemory-policy noeviction/);
    assert.equal(redis.spec.volumeClaimTemplates[0].metadata.name, 'data');
    const engram = container(api(objects), 'api');
    assert.equal(envVar(engram, 'REDIS_URL').value, 'redis://:$(REDIS_PASSWORD)@mem-engram-redis:6379/0');
    const names = engram.env.map((e: any) => e.name);
    assert.ok(names.indexOf('REDIS_PASSWORD') < names.indexOf('REDIS_URL'), 'defined before it is referenced');
    const policy = only(objects, 'NetworkPolicy', 'mem-engram-redis');
    assert.ok(
      selects(policy.spec.ingress[0].from[0].podSelector.matchLabels, api(objects).spec.template.metadata.labels),
    );
  });

  it('uses an external Redis from its Secret instead of the bundled one', () => {
    const objects = render('external Redis');
    assert.equal(find(objects, 'StatefulSet').length, 0);
    const ref = envVar(container(api(objects), 'worker'), 'REDIS_URL').valueFrom.secretKeyRef;
    assert.deepEqual(ref, { name: 'engram-redis-url', key: 'url' });
  });

  it('publishes /, /api and /mcp through an unbuffered, long-timeout TLS ingress', () => {
    const objects = render('ingress + TLS + existing secret');
    const ingress = only(objects, 'Ingress');
    const annotations = ingress.metadata.annotations;
    assert.equal(annotations['nginx.ingress.kubernetes.io/proxy-buffering'], 'off');
    assert.ok(Number(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']) >= 600);
    assert.equal(annotations['cert-manager.io/cluster-issuer'], 'letsencrypt', 'user annotations merged in');
    // An import upload bigger than the ingress allows would get nginx's 413 page, not Engram's answer.
    assert.ok(nginxSize(annotations['nginx.ingress.kubernetes.io/proxy-body-size']) >= importMaxUploadBytes());
    assert.deepEqual(ingress.spec.tls, [{ secretName: 'engram-tls', hosts: ['memory.example.org'] }]);
    const [rule] = ingress.spec.rules;
    assert.equal(rule.host, 'memory.example.org');
    assert.deepEqual(
      rule.http.paths.map((p: any) => p.path),
      ['/', '/api', '/mcp'],
    );
    const service = only(objects, 'Service', 'mem-engram');
    for (const path of rule.http.paths) {
      assert.equal(path.backend.service.name, service.metadata.name);
      assert.ok(service.spec.ports.some((p: any) => p.name === path.backend.service.port.name));
    }
    const config = only(objects, 'ConfigMap', 'mem-engram').data;
    assert.equal(config.ENGRAM_PUBLIC_URL, 'https://memory.example.org');
    assert.equal(
      config.ENGRAM_TRUSTED_PROXIES,
      '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fd00::/8',
      'the ingress is a trusted proxy',
    );
    assert.equal(only(render('defaults'), 'ConfigMap', 'mem-engram').data.ENGRAM_TRUSTED_PROXIES, undefined);
  });

  it('prints the ChatGPT connector URL in the release notes', () => {
    const values = valuesFile((VALUE_SETS['ingress + TLS + existing secret'] as ValueSet).values);
    const result = helm(['install', 'mem', CHART_DIR, '--dry-run=client', '--namespace', 'engram', '-f', values]);
    assert.equal(result.status, 0, result.stderr);
    const notes = result.stdout.slice(result.stdout.indexOf('NOTES:'));
    assert.match(notes, /ChatGPT connector URL: https:\/\/memory\.example\.org\/mcp/);
    assert.match(notes, /need OAuth\. Set\s+auth\.oauth\.enabled=true/);
  });

  it('runs OAuth with a generated operator password and an optional registration token, in the api only', () => {
    const objects = render('OAuth behind a TLS ingress, API and MCP paths only');
    const config = only(objects, 'ConfigMap', 'mem-engram').data;
    assert.equal(config.ENGRAM_OAUTH_ENABLED, 'true');
    assert.equal(config.ENGRAM_OAUTH_ACCESS_TOKEN_SECONDS, '3600');
    assert.equal(config.ENGRAM_OAUTH_REFRESH_TOKEN_DAYS, '30');
    assert.equal(config.ENGRAM_OAUTH_GRANT_MAX_DAYS, '90');
    assert.equal(config.ENGRAM_OAUTH_OPEN_REGISTRATION, undefined, 'dynamic registration stays closed');
    assert.equal(config.ENGRAM_PUBLIC_URL, 'https://memory.example.org', 'the issuer is the https ingress URL');
    const secret = only(objects, 'Secret', 'mem-engram-oauth');
    assert.equal(secret.metadata.annotations['helm.sh/resource-policy'], 'keep');
    const password = Buffer.from(secret.data['oauth-password'], 'base64').toString();
    assert.match(password, /^[A-Za-z0-9]{32}$/, 'a generated password, longer than the 12 Engram requires');
    const engram = container(api(objects), 'api');
    assert.deepEqual(envVar(engram, 'ENGRAM_OAUTH_PASSWORD').valueFrom.secretKeyRef, {
      name: 'mem-engram-oauth',
      key: 'oauth-password',
    });
    assert.deepEqual(envVar(engram, 'ENGRAM_OAUTH_REGISTRATION_TOKEN').valueFrom.secretKeyRef, {
      name: 'engram-oauth-registration',
      key: 'token',
    });
    assert.ok(envVar(engram, 'MCP_API_KEY'), 'the bootstrap admin key stays');
    const worker = container(api(objects), 'worker');
    for (const name of ['ENGRAM_OAUTH_PASSWORD', 'ENGRAM_OAUTH_REGISTRATION_TOKEN']) {
      assert.equal(envVar(worker, name), undefined, `the worker signs no one in: no ${name}`);
    }
    for (const object of objects.filter((o) => o.kind !== 'Secret')) {
      assert.ok(!JSON.stringify(object).includes(password), `${object.kind}/${object.metadata.name} holds no password`);
    }

    const lifetimes = only(render('everything on'), 'ConfigMap', 'mem-engram').data;
    assert.equal(lifetimes.ENGRAM_OAUTH_ACCESS_TOKEN_SECONDS, '900');
    assert.equal(lifetimes.ENGRAM_OAUTH_REFRESH_TOKEN_DAYS, '7');
    const off = render('defaults');
    assert.deepEqual(
      Object.keys(only(off, 'ConfigMap', 'mem-engram').data).filter((name) => name.startsWith('ENGRAM_OAUTH')),
      [],
      'OAuth is off by default',
    );
    assert.equal(find(off, 'Secret', 'mem-engram-oauth').length, 0);
  });

  it('takes the OAuth password from an existing Secret, or none when the operator signs in with an admin key', () => {
    const base = { api: { publicUrl: 'https://memory.example.org/' } };
    const existing = renderChart({
      ...base,
      auth: { oauth: { enabled: true, password: { existingSecret: 'engram-oauth', existingSecretKey: 'pw' } } },
    });
    assert.equal(find(existing, 'Secret', 'mem-engram-oauth').length, 0, 'no chart Secret beside the existing one');
    assert.deepEqual(envVar(container(api(existing), 'api'), 'ENGRAM_OAUTH_PASSWORD').valueFrom.secretKeyRef, {
      name: 'engram-oauth',
      key: 'pw',
    });
    assert.deepEqual(danglingReferences(existing, ['engram-oauth']), []);
    assert.equal(only(existing, 'ConfigMap', 'mem-engram').data.ENGRAM_PUBLIC_URL, 'https://memory.example.org');

    const keyOnly = renderChart({ ...base, auth: { oauth: { enabled: true, password: { enabled: false } } } });
    assert.equal(find(keyOnly, 'Secret', 'mem-engram-oauth').length, 0);
    const engram = container(api(keyOnly), 'api');
    assert.equal(envVar(engram, 'ENGRAM_OAUTH_PASSWORD'), undefined);
    assert.ok(envVar(engram, 'MCP_API_KEY').valueFrom.secretKeyRef, 'Engram then needs MCP_API_KEY to sign in with');
    assert.equal(envVar(engram, 'ENGRAM_OAUTH_REGISTRATION_TOKEN'), undefined);

    const open = renderChart({ ...base, auth: { oauth: { enabled: true, openRegistration: true } } });
    assert.equal(only(open, 'ConfigMap', 'mem-engram').data.ENGRAM_OAUTH_OPEN_REGISTRATION, 'true');
  });

  it('routes the OAuth discovery and endpoint paths to the api when "/" is not published', () => {
    const [rule] = only(render('OAuth behind a TLS ingress, API and MCP paths only'), 'Ingress').spec.rules;
    assert.deepEqual(
      rule.http.paths.map((p: any) => p.path),
      ['/api', '/mcp', '/.well-known/oauth-protected-resource', '/.well-known/oauth-authorization-server', '/oauth'],
    );
    for (const path of rule.http.paths) assert.equal(path.backend.service.name, 'mem-engram');
    const [everything] = only(render('everything on'), 'Ingress').spec.rules;
    assert.deepEqual(
      everything.http.paths.map((p: any) => p.path),
      ['/', '/api', '/mcp'],
      '"/" already covers them',
    );
    const [covered] = only(
      renderChart({
        auth: { oauth: { enabled: true } },
        ingress: {
          enabled: true,
          paths: ['/mcp', '/.well-known', '/oauth/'],
          tls: [{ hosts: ['engram.example.com'] }],
        },
      }),
      'Ingress',
    ).spec.rules;
    assert.deepEqual(
      covered.http.paths.map((p: any) => p.path),
      ['/mcp', '/.well-known', '/oauth/'],
    );
  });

  it('prints the connector URL and the consent step in the release notes when OAuth is on', () => {
    const values = valuesFile((VALUE_SETS['OAuth behind a TLS ingress, API and MCP paths only'] as ValueSet).values);
    const result = helm(['install', 'mem', CHART_DIR, '--dry-run=client', '--namespace', 'engram', '-f', values]);
    assert.equal(result.status, 0, result.stderr);
    const notes = result.stdout.slice(result.stdout.indexOf('NOTES:'));
    assert.match(notes, /ChatGPT connector URL: https:\/\/memory\.example\.org\/mcp/);
    assert.match(notes, /consent page/);
    assert.match(notes, /get secret mem-engram-oauth -o jsonpath='\{\.data\.oauth-password\}'/);
    assert.doesNotMatch(notes, /need OAuth/);
  });

  it('lets the ServiceMonitor scrape the api and worker metrics ports with the API key', () => {
    const objects = render('metrics on');
    const monitor = only(objects, 'ServiceMonitor');
    assert.equal(monitor.metadata.labels.release, 'kube-prometheus-stack');
    const service = only(objects, 'Service', 'mem-engram');
    assert.ok(selects(monitor.spec.selector.matchLabels, service.metadata.labels), 'selects the api Service');
    assert.deepEqual(
      monitor.spec.endpoints.map((e: any) => e.port),
      ['http', 'worker-http'],
    );
    const containerPorts = podSpec(api(objects)).containers.flatMap((c: any) => c.ports.map((p: any) => p.name));
    for (const endpoint of monitor.spec.endpoints) {
      const port = service.spec.ports.find((p: any) => p.name === endpoint.port);
      assert.ok(port, `Service port ${endpoint.port}`);
      assert.ok(containerPorts.includes(port.targetPort), `container port ${port.targetPort}`);
      assert.equal(endpoint.path, '/metrics');
      assert.deepEqual(endpoint.authorization.credentials, { name: 'mem-engram-auth', key: 'api-key' });
    }
  });

  it('labels the scraped targets by component and ships the alert rules beside the ServiceMonitor', () => {
    const objects = render('metrics on');
    const monitor = only(objects, 'ServiceMonitor');
    assert.deepEqual(
      monitor.spec.endpoints.map((e: any) => e.relabelings),
      [[{ targetLabel: 'component', replacement: 'api' }], [{ targetLabel: 'component', replacement: 'worker' }]],
    );
    const rules = only(objects, 'PrometheusRule');
    assert.equal(rules.metadata.labels.release, 'kube-prometheus-stack', 'selected by the same Prometheus');
    const alerts = rules.spec.groups.flatMap((group: any) => group.rules.map((rule: any) => rule.alert));
    assert.ok(alerts.includes('EngramApiDown') && alerts.includes('VllmKvCacheFull'), alerts.join(', '));
    assert.equal(find(render('defaults'), 'PrometheusRule').length, 0, 'off by default');
    assert.equal(find(objects, 'ServiceMonitor').length, 1, 'no vLLM ServiceMonitor without vLLM');
  });

  it('scrapes vLLM with its own ServiceMonitor and lets the metrics peers reach it', () => {
    const objects = render('everything on');
    const monitor = only(objects, 'ServiceMonitor', 'mem-engram-vllm');
    const service = only(objects, 'Service', 'mem-engram-vllm');
    assert.ok(selects(monitor.spec.selector.matchLabels, service.metadata.labels), 'selects the vLLM Service');
    assert.deepEqual(monitor.spec.endpoints[0].relabelings, [{ targetLabel: 'component', replacement: 'vllm' }]);
    assert.equal(monitor.spec.endpoints[0].port, service.spec.ports[0].name);
    const policy = only(objects, 'NetworkPolicy', 'mem-engram-vllm-metrics');
    assert.ok(selects(policy.spec.podSelector.matchLabels, vllm(objects).spec.template.metadata.labels));
    assert.deepEqual(policy.spec.ingress[0].ports, [{ port: 'http', protocol: 'TCP' }]);
  });

  it('ships the Grafana dashboard in a ConfigMap labelled for the sidecar', () => {
    const objects = render('everything on');
    const map = only(objects, 'ConfigMap', 'mem-engram-dashboard');
    assert.equal(map.metadata.labels.grafana_dashboard, '1');
    assert.equal(map.metadata.namespace, 'monitoring');
    const file = readFileSync(join(CHART_DIR, 'dashboards', 'engram.json'), 'utf8');
    assert.deepEqual(JSON.parse(map.data['engram.json']), JSON.parse(file));
  });

  it('lets the helm test pods through NetworkPolicies that admit only the listed peers', () => {
    const restricted = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } };
    const objects = renderChart({
      ...VALUE_SETS[PG_REPLICAS].values,
      networkPolicy: { apiFrom: [restricted], metricsFrom: [restricted] },
    });
    const admits = (policy: K8sObject, port: string, pod: K8sObject) =>
      policy.spec.ingress.some(
        (rule: any) =>
          rule.ports.some((p: any) => p.port === port) &&
          rule.from.some(
            (peer: any) => !peer.namespaceSelector && selects(peer.podSelector?.matchLabels ?? {}, pod.metadata.labels),
          ),
      );
    const apiPolicy = only(objects, 'NetworkPolicy', 'mem-engram-api');
    const workerPolicy = only(objects, 'NetworkPolicy', 'mem-engram-worker');
    assert.ok(admits(apiPolicy, 'http', only(objects, 'Pod', 'mem-engram-test-health')), 'the api test');
    assert.ok(admits(workerPolicy, 'worker-http', only(objects, 'Pod', 'mem-engram-test-worker')), 'the worker test');
    assert.ok(
      apiPolicy.spec.ingress[0].from.some((peer: any) => peer.namespaceSelector),
      'the listed peers stay',
    );
    assert.ok(!admits(apiPolicy, 'http', api(objects)), 'nothing else of the release is added');
    // No list: the port stays open to every peer, test pods included.
    assert.equal(only(render(PG_REPLICAS), 'NetworkPolicy', 'mem-engram-api').spec.ingress[0].from, undefined);
  });

  it('has a helm test pod that calls /api/health on the api Service', () => {
    const objects = render('defaults');
    const pod = only(objects, 'Pod');
    assert.equal(pod.metadata.annotations['helm.sh/hook'], 'test');
    const service = only(objects, 'Service', 'mem-engram');
    assert.ok(pod.spec.containers[0].command.includes(`http://mem-engram:${service.spec.ports[0].port}/api/health`));
    assert.equal(pod.spec.restartPolicy, 'Never');
  });

  it('refuses unsafe values at render time with a message naming the setting', () => {
    assertRefused({ api: { replicas: 2 } }, 'api.replicas=2', 'SQLite');
    assertRefused(
      { ingress: { enabled: true }, auth: { enabled: false } },
      'ingress.enabled=true with auth.enabled=false',
    );
    assertRefused({ auth: { apiKey: 'short' } }, 'auth.apiKey is shorter than 16');
    assertRefused({ redis: { enabled: false } }, 'worker.enabled=true needs Redis');
    assertRefused({ redis: { external: { url: 'redis://r:6379' } } }, 'redis.enabled=true and redis.external');
    assertRefused({ persistence: { accessMode: 'ReadWriteMany' } }, 'ReadWriteMany');
    assertRefused(
      { vllm: { enabled: true }, agent: { external: { host: 'llm.internal' } } },
      'vllm.enabled=true and agent.external.host',
    );
    assertRefused({ vllm: { enabled: true, replicas: 2 } }, 'vllm.replicas=2', 'ReadWriteOnce', 'ReadWriteMany');
    assertRefused({ agent: { fallback: { baseUrl: 'https://llm.example/v1' } } }, 'agent.fallback.baseUrl is set');
    assertRefused(
      { vllm: { enabled: true }, agent: { fallback: { baseUrl: 'openrouter' } } },
      'agent.fallback.baseUrl=openrouter needs the OpenRouter key in a Secret',
    );
  });

  it('refuses OAuth without auth, without a public URL, over plain HTTP or with a path in the issuer', () => {
    const oauth = { oauth: { enabled: true } };
    const tls = [{ secretName: 'engram-tls', hosts: ['engram.example.com'] }];
    assertRefused({ auth: oauth }, 'auth.oauth.enabled=true needs a public URL', 'api.publicUrl');
    assertRefused(
      { auth: oauth, ingress: { enabled: true } },
      'plain-HTTP public URL http://engram.example.com',
      'ingress.tls',
    );
    assertRefused(
      { auth: oauth, ingress: { enabled: true, tls: [{ secretName: 'other', hosts: ['other.example.com'] }] } },
      'plain-HTTP',
    );
    assertRefused({ auth: oauth, api: { publicUrl: 'http://memory.example.org' } }, 'plain-HTTP');
    assertRefused({ auth: oauth, api: { publicUrl: 'https://example.org/engram' } }, 'no path or wildcard');
    assertRefused(
      { auth: { ...oauth, enabled: false }, api: { publicUrl: 'https://memory.example.org' } },
      'auth.oauth.enabled=true with auth.enabled=false',
    );
    assertRefused(
      { auth: { enabled: false, oauth: { enabled: true } }, ingress: { enabled: true, tls } },
      'ingress.enabled=true with auth.enabled=false',
      'auth.oauth.enabled=true with auth.enabled=false',
    );
    assertRefused(
      {
        auth: { oauth: { enabled: true, password: { enabled: false, existingSecret: 'x' } } },
        ingress: { enabled: true, tls },
      },
      'auth.oauth.password.existingSecret is set but auth.oauth.password.enabled=false',
    );
    assertRefused({ auth: { oauth: { enabled: true, accessTokenSeconds: 30 } } }, 'accessTokenSeconds');
    assertRefused({ auth: { oauth: { enabled: true, refreshTokenDays: 400 } } }, 'refreshTokenDays');
    assertRefused(
      { auth: { oauth: { enabled: true, refreshTokenDays: 60, grantMaxDays: 30 } }, ingress: { enabled: true, tls } },
      'auth.oauth.grantMaxDays=30 is shorter than auth.oauth.refreshTokenDays=60',
    );
    assertRefused(
      {
        auth: { oauth: { enabled: true, openRegistration: true, registrationToken: { existingSecret: 'x' } } },
        ingress: { enabled: true, tls },
      },
      'auth.oauth.openRegistration=true and auth.oauth.registrationToken.existingSecret contradict',
    );
    assertRefused({ auth: { oauth: { enable: true } } }, "additional properties 'enable' not allowed");
    // A port-forward to a loopback URL is fine for trying the flow locally.
    assert.ok(renderChart({ auth: oauth, api: { publicUrl: 'http://127.0.0.1:8000' } }).length > 0);
  });

  it('mounts the database key from a Secret as a read-only file in both containers, never as a value', () => {
    const objects = render('encrypted, with its own Redis prefix');
    const config = only(objects, 'ConfigMap', 'mem-engram').data;
    assert.equal(config.ENGRAM_DB_ENCRYPTION_KEY_FILE, '/etc/engram/encryption/db-encryption-key');
    assert.equal(config.ENGRAM_REDIS_PREFIX, 'engram-prod');
    const secret = only(objects, 'Secret', 'mem-engram-encryption');
    assert.equal(secret.metadata.annotations['helm.sh/resource-policy'], 'keep', 'a lost key loses the data');
    const key = Buffer.from(secret.data['db-encryption-key'], 'base64').toString();
    assert.match(key, /^[0-9]{64}$/, 'a raw key (64 hex digits): no key derivation on each connection');
    const volume = podSpec(api(objects)).volumes.find((v: any) => v.name === 'encryption-key');
    assert.equal(volume.secret.secretName, 'mem-engram-encryption');
    for (const name of ['api', 'worker']) {
      const engram = container(api(objects), name);
      const mount = engram.volumeMounts.find((m: any) => m.name === 'encryption-key');
      assert.deepEqual([mount?.mountPath, mount?.readOnly], ['/etc/engram/encryption', true], name);
      assert.equal(envVar(engram, 'ENGRAM_DB_ENCRYPTION_KEY'), undefined);
    }
    const existing = render('encrypted with an existing key');
    assert.equal(find(existing, 'Secret', 'mem-engram-encryption').length, 0);
    assert.equal(
      only(existing, 'ConfigMap', 'mem-engram').data.ENGRAM_DB_ENCRYPTION_KEY_FILE,
      '/etc/engram/encryption/key',
    );
    const defaults = only(render('defaults'), 'ConfigMap', 'mem-engram').data;
    assert.equal(defaults.ENGRAM_DB_ENCRYPTION_KEY_FILE, undefined);
    assert.equal(defaults.ENGRAM_REDIS_PREFIX, undefined, 'by default the prefix comes from the store id');
  });

  it('renders settings Engram accepts at the top of every range the schema allows, and refuses values past them', () => {
    const { loadConfig } = serviceHelper('config/config.loader.js');
    const values = {
      api: { terminationGracePeriodSeconds: 7200 },
      backups: { maxCount: 10000, retentionDays: 36500 },
      retrieval: { embedding: { enabled: true, dimension: 65536 } },
    };
    const objects = renderChart(values);
    const literalEnv = Object.fromEntries(
      container(api(objects), 'api')
        .env.filter((e: any) => e.value !== undefined)
        .map((e: any) => [e.name, e.value.replace('$(REDIS_PASSWORD)', 'redis-password')]),
    );
    const env = {
      ...only(objects, 'ConfigMap', 'mem-engram').data,
      ...literalEnv,
      MCP_API_KEY: 'a-sufficiently-long-test-key',
    };
    // Every problem of the configuration at once, as a pod started with it would report them (exit 78).
    const config = loadConfig({ env, cwd: '/app' });
    assert.equal(config.agent.shutdownGraceMs, 3600 * 1000, 'the longest grace Engram takes');
    assertRefused({ backups: { maxCount: 10001 } }, 'maxCount');
    assertRefused({ backups: { retentionDays: 36501 } }, 'retentionDays');
    assertRefused({ retrieval: { embedding: { dimension: 65537 } } }, 'dimension');
  });

  it('rejects misspelled and mistyped values through values.schema.json', () => {
    assertRefused({ redis: { keyPrefix: 'engram prod:' } }, 'keyPrefix');
    assertRefused({ api: { replica: 1 } }, "additional properties 'replica' not allowed");
    assertRefused({ vllm: { gpuMemoryUtilization: 1.5 } }, 'gpuMemoryUtilization');
    assertRefused({ vllm: { replicas: -1 } }, 'replicas');
    assertRefused({ vllm: { replicas: 'two' } }, 'replicas');
    assertRefused({ agent: { fallback: { baseUrl: 'llm.local' } } }, 'baseUrl');
    assertRefused({ agent: { fallback: { apiKey: 'inline-key' } } }, "additional properties 'apiKey' not allowed");
    assertRefused({ storage: { backend: 'mysql' } }, 'backend');
    assertRefused({ postgresql: { url: 'mysql://db/engram' } }, 'url');
    assertRefused({ postgresql: { cnpg: { instances: 0 } } }, 'instances');
    assertRefused({ api: { autoscaling: { maxReplica: 3 } } }, "additional properties 'maxReplica' not allowed");
    assertRefused({ worker: { replicas: 'two' } }, 'replicas');
    assertRefused({ config: { 'log-level': 'debug' } }, 'log-level');
  });

  it('refuses credentials in config, which becomes a ConfigMap, and keeps settings whose names only look alike', () => {
    for (const name of [
      'OPENROUTER_API_KEY',
      'ENGRAM_OAUTH_PASSWORD',
      'ENGRAM_OAUTH_REGISTRATION_TOKEN',
      'ENGRAM_DB_ENCRYPTION_KEY',
      'OTEL_EXPORTER_OTLP_HEADERS',
      'DATABASE_URL',
      'REDIS_URL',
    ]) {
      assertRefused(
        { config: { [name]: 'a-secret-value-0123456789' } },
        `config.${name} holds a credential`,
        'extraEnv',
      );
    }
    const settings = {
      ENGRAM_AGENT_MAX_TOKENS: 4096,
      ENGRAM_OAUTH_ACCESS_TOKEN_SECONDS: 600,
      ENGRAM_DB_ENCRYPTION_KEY_FILE: '/etc/keys/db',
      ENGRAM_CONFLICTS_JUDGE_API_KEY_FILE: '/etc/keys/judge',
      MCP_EXTERNAL_EMBEDDING_URL: 'http://tei.ml:8080/v1',
    };
    const data = only(renderChart({ config: settings }), 'ConfigMap', 'mem-engram').data;
    for (const [name, value] of Object.entries(settings)) assert.equal(data[name], String(value), name);
  });

  it('refuses a config entry naming a variable the chart sets itself, naming the value to set instead', () => {
    // In the ConfigMap already: a second key, which strict YAML readers refuse and others resolve either way.
    assertRefused(
      { config: { MCP_BACKUP_SCHEDULE: '0 4 * * *' } },
      'config.MCP_BACKUP_SCHEDULE: the chart sets MCP_BACKUP_SCHEDULE itself (from backups.schedule)',
    );
    assertRefused({ config: { MCP_MEMORY_STORAGE_BACKEND: 'postgres' } }, 'from storage.backend');
    assertRefused({ config: { MEMORY_DIR: '/data/agent' } }, 'from agent.memoryDir');
    assertRefused(
      { ingress: { enabled: true }, config: { ENGRAM_TRUSTED_PROXIES: '10.42.0.0/16' } },
      'from ingress.trustedProxies',
    );
    // In the containers' env, which wins over the ConfigMap: the entry would be ignored without a word.
    assertRefused(
      { vllm: { enabled: true }, config: { AGENT_MODEL: 'another/model' } },
      "config.AGENT_MODEL would be ignored: the chart sets AGENT_MODEL in the containers' environment",
      'vllm.servedModelName or agent.external.model',
    );
    assertRefused(
      { retrieval: { embedding: { enabled: true } }, config: { ENGRAM_EMBEDDING_DIMENSION: '768' } },
      'from retrieval.embedding.dimension',
    );
    // The same names are the user's to set where the chart leaves them unset.
    const own = {
      ENGRAM_TRUSTED_PROXIES: '10.42.0.0/16',
      AGENT_MODEL: 'another/model',
      ENGRAM_EMBEDDING_DIMENSION: '768',
      MCP_BACKUP_ENABLED: 'false',
    };
    const data = only(renderChart({ config: own }), 'ConfigMap', 'mem-engram').data;
    for (const [name, value] of Object.entries(own)) assert.equal(data[name], value, name);
  });

  it('keeps anonymous access possible only without an ingress, and says so in the config', () => {
    const objects = renderChart({ auth: { enabled: false } });
    assert.equal(only(objects, 'ConfigMap', 'mem-engram').data.MCP_ALLOW_ANONYMOUS_ACCESS, 'true');
    assert.equal(envVar(container(api(objects), 'api'), 'MCP_API_KEY'), undefined);
    assert.equal(find(objects, 'Ingress').length, 0);
  });
  it('runs PostgreSQL api replicas without a data volume, rolling, spread over nodes, the workers apart', () => {
    const objects = render(PG_REPLICAS);
    const deployment = api(objects);
    assert.equal(deployment.spec.replicas, 3);
    // maxUnavailable 0: a replaced pod leaves the Service only after its successor passed readiness.
    assert.deepEqual(deployment.spec.strategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    assert.deepEqual(container(deployment, 'api').readinessProbe.exec.command, ['engram', 'health', 'api', '--ready']);
    assert.deepEqual(
      podSpec(deployment).containers.map((c: any) => c.name),
      ['api'],
      'the worker is not in the api pod',
    );
    assert.equal(find(objects, 'PersistentVolumeClaim', 'mem-engram-data').length, 0, 'no data volume');
    for (const workload of [deployment, worker(objects)]) {
      const volumes = podSpec(workload).volumes;
      assert.ok(!volumes.some((v: any) => v.persistentVolumeClaim), `${workload.metadata.name} mounts no claim`);
      assert.deepEqual(volumes.find((v: any) => v.name === 'data').emptyDir, {}, 'scratch space only');
      const [spread] = podSpec(workload).topologySpreadConstraints;
      assert.equal(spread.topologyKey, 'kubernetes.io/hostname');
      assert.equal(spread.whenUnsatisfiable, 'ScheduleAnyway', 'a one-node cluster still schedules them');
      assert.ok(selects(spread.labelSelector.matchLabels, workload.spec.template.metadata.labels));
      assert.ok(
        !selects(
          spread.labelSelector.matchLabels,
          (workload === deployment ? worker(objects) : deployment).spec.template.metadata.labels,
        ),
      );
    }
    const workers = worker(objects);
    assert.equal(workers.spec.replicas, 2);
    assert.deepEqual(container(workers, 'worker').args, ['worker']);
    assert.equal(container(workers, 'worker').readinessProbe, undefined, 'no Service sends it requests');
    assert.ok(
      podSpec(workers).terminationGracePeriodSeconds >= 120,
      'time for the running job to reach a checkpoint and go back to the queue',
    );
    assert.deepEqual(
      envVar(container(workers, 'worker'), 'REDIS_URL'),
      envVar(container(deployment, 'api'), 'REDIS_URL'),
    );
    const config = only(objects, 'ConfigMap', 'mem-engram').data;
    assert.equal(config.MCP_MEMORY_STORAGE_BACKEND, 'postgres');
    assert.equal(config.MCP_MEMORY_SQLITE_PATH, undefined);
    assert.equal(config.ENGRAM_DATABASE_POOL_SIZE, '20');
    assert.equal(config.ENGRAM_DATABASE_STATEMENT_TIMEOUT_MS, '15000');
    const zones = podSpec(api(render(PG_URL))).topologySpreadConstraints;
    assert.deepEqual(
      zones.map((c: any) => [c.topologyKey, c.whenUnsatisfiable]),
      [['topology.kubernetes.io/zone', 'DoNotSchedule']],
      'the given constraints replace the default',
    );
    assert.ok(selects(zones[0].labelSelector.matchLabels, api(render(PG_URL)).spec.template.metadata.labels));
    assert.equal(podSpec(api(render('defaults'))).topologySpreadConstraints, undefined, 'SQLite: one pod, no spread');
  });

  it("gives the SQLite pod the worker's grace period as well as the api's, since the worker runs in it", () => {
    assert.equal(podSpec(api(render('defaults'))).terminationGracePeriodSeconds, 300);
    const longer = renderChart({
      api: { terminationGracePeriodSeconds: 90 },
      worker: { terminationGracePeriodSeconds: 30 },
    });
    assert.equal(podSpec(api(longer)).terminationGracePeriodSeconds, 90);
    const noWorker = renderChart({ worker: { enabled: false }, redis: { enabled: false } });
    assert.equal(podSpec(api(noWorker)).terminationGracePeriodSeconds, 60);
    // On PostgreSQL each Deployment keeps its own.
    assert.equal(podSpec(api(render(PG_REPLICAS))).terminationGracePeriodSeconds, 60);
    assert.equal(podSpec(worker(render(PG_REPLICAS))).terminationGracePeriodSeconds, 300);
  });

  it('keeps a stopping PostgreSQL api pod serving until the endpoints forget it, within its grace period', () => {
    const rolling = container(api(render(PG_REPLICAS)), 'api');
    // SIGTERM would close the listener while the ingress controller and kube-proxy still send requests its way.
    assert.deepEqual(rolling.lifecycle?.preStop?.exec?.command, ['sleep', '10']);
    assert.ok(10 < podSpec(api(render(PG_REPLICAS))).terminationGracePeriodSeconds);
    const tuned = renderChart({ ...VALUE_SETS[PG_REPLICAS].values, api: { replicas: 3, preStopSleepSeconds: 20 } });
    assert.deepEqual(container(api(tuned), 'api').lifecycle.preStop.exec.command, ['sleep', '20']);
    const none = renderChart({ ...VALUE_SETS[PG_REPLICAS].values, api: { replicas: 3, preStopSleepSeconds: 0 } });
    assert.equal(container(api(none), 'api').lifecycle, undefined);
    // One SQLite pod: no other pod would take the requests, so a pause would only lengthen the outage.
    assert.equal(container(api(render('defaults')), 'api').lifecycle, undefined);
    assertRefused(
      { ...VALUE_SETS[PG_REPLICAS].values, api: { preStopSleepSeconds: 60, terminationGracePeriodSeconds: 60 } },
      'api.preStopSleepSeconds=60',
      'api.terminationGracePeriodSeconds=60',
    );
  });

  it('hands Engram the database URL as a file from a Secret, never as a value, from each source', async () => {
    const { loadConfig } = serviceHelper('config/config.loader.js');
    const cases: [string, string, string][] = [
      [PG_REPLICAS, 'engram-db', 'dsn'],
      [PG_URL, 'mem-engram-database', 'url'],
      [PG_CNPG, 'mem-engram-postgres-app', 'uri'],
    ];
    for (const [name, secretName, key] of cases) {
      const objects = render(name);
      const config = only(objects, 'ConfigMap', 'mem-engram').data;
      const file = config.DATABASE_URL_FILE as string;
      for (const workload of [api(objects), ...find(objects, 'Deployment', 'mem-engram-worker')]) {
        const volume = podSpec(workload).volumes.find((v: any) => v.secret?.secretName === secretName);
        assert.ok(volume, `${name}: ${workload.metadata.name} mounts Secret ${secretName}`);
        assert.deepEqual(volume.secret.items, [{ key, path: file.split('/').pop() }], name);
        const containers = [...(podSpec(workload).initContainers ?? []), ...podSpec(workload).containers];
        for (const c of containers) {
          const mount = c.volumeMounts.find((m: any) => m.name === volume.name);
          assert.deepEqual([`${mount?.mountPath}/url`, mount?.readOnly], [file, true], `${name}: ${c.name}`);
          assert.equal(envVar(c, 'DATABASE_URL'), undefined, `${name}: ${c.name} gets no URL in its environment`);
        }
      }
      // Engram accepts what the chart passes: the ConfigMap, with the mounted file at hand.
      const dir = tempDir('engram-db-url-');
      writeFileSync(join(dir, 'url'), 'postgres://engram:pw@db:5432/engram\n');
      const loaded = loadConfig({
        env: { ...config, DATABASE_URL_FILE: join(dir, 'url'), MCP_API_KEY: 'a-sufficiently-long-test-key' },
        cwd: '/app',
      });
      assert.equal(loaded.storage.backend, 'postgres', name);
      assert.equal(loaded.storage.postgres.url, 'postgres://engram:pw@db:5432/engram', name);
    }
    const objects = render(PG_URL);
    const secret = only(objects, 'Secret', 'mem-engram-database');
    assert.equal(
      Buffer.from(secret.data.url, 'base64').toString(),
      'postgres://engram:s3cret-pw@db.internal:5432/engram',
    );
    for (const object of objects.filter((o) => o.kind !== 'Secret')) {
      assert.ok(
        !JSON.stringify(object).includes('s3cret-pw'),
        `${object.kind}/${object.metadata.name} holds no password`,
      );
    }
    assert.equal(find(render(PG_REPLICAS), 'Secret', 'mem-engram-database').length, 0, 'none beside the existing one');
    assert.equal(only(objects, 'ConfigMap', 'mem-engram').data.ENGRAM_DATABASE_STATEMENT_TIMEOUT_MS, '30000');
  });

  it('renders a CloudNativePG cluster with pgvector enabled in the database Engram uses, its backups passed through', () => {
    const objects = render(PG_CNPG);
    const cluster = only(objects, 'Cluster', 'mem-engram-postgres');
    assert.equal(cluster.apiVersion, 'postgresql.cnpg.io/v1');
    assert.equal(cluster.spec.instances, 2);
    assert.equal(cluster.spec.imageName, 'ghcr.io/cloudnative-pg/postgresql:17-system-trixie', 'Barman Cloud inside');
    const byDefault = only(
      renderChart({ storage: { backend: 'postgres' }, postgresql: { cnpg: { enabled: true } } }),
      'Cluster',
    );
    // minimal images lack pgvector; bare tags (17) are deprecated bullseye system images.
    assert.match(
      byDefault.spec.imageName,
      /^ghcr\.io\/cloudnative-pg\/postgresql:1[5-9][.0-9]*-(standard|system)-[a-z]+$/,
      'a flavour with pgvector, on a supported tag',
    );
    assert.deepEqual(cluster.spec.storage, { size: '50Gi', storageClass: 'fast-ssd' });
    assert.deepEqual(cluster.spec.bootstrap.initdb, {
      database: 'engram',
      owner: 'engram',
      postInitApplicationSQL: ['CREATE EXTENSION IF NOT EXISTS vector'],
    });
    assert.deepEqual(cluster.spec.backup, (VALUE_SETS[PG_CNPG].values as any).postgresql.cnpg.backup);
    assert.equal(cluster.metadata.annotations['helm.sh/resource-policy'], 'keep', 'uninstall keeps the memories');
    assert.equal(cluster.spec.postgresql.parameters.max_connections, '200');
    assert.equal(find(render(PG_REPLICAS), 'Cluster').length, 0, 'no cluster for an external database');
  });

  it('keeps replicas serving through node drains with PodDisruptionBudgets, and scales the api on CPU', () => {
    const objects = render(PG_REPLICAS);
    for (const workload of [api(objects), worker(objects)]) {
      const budget = only(objects, 'PodDisruptionBudget', workload.metadata.name);
      assert.equal(budget.spec.maxUnavailable, 1);
      assert.ok(selects(budget.spec.selector.matchLabels, workload.spec.template.metadata.labels));
    }
    assert.equal(find(render('defaults'), 'PodDisruptionBudget').length, 0, 'SQLite: one pod, nothing to keep up');
    assert.deepEqual(
      find(render(PG_CNPG), 'PodDisruptionBudget').map((b) => b.metadata.name),
      ['mem-engram'],
      'not for a single worker: a budget of one pod would block every drain',
    );
    const scaled = render(PG_URL);
    const hpa = only(scaled, 'HorizontalPodAutoscaler', 'mem-engram');
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'mem-engram' });
    assert.deepEqual([hpa.spec.minReplicas, hpa.spec.maxReplicas], [2, 8]);
    assert.equal(hpa.spec.metrics[0].resource.name, 'cpu');
    assert.equal(hpa.spec.metrics[0].resource.target.averageUtilization, 60);
    assert.ok(container(api(scaled), 'api').resources.requests.cpu, 'utilization is measured against the request');
    assert.equal(api(scaled).spec.replicas, undefined, 'the autoscaler owns the replica count');
    assert.ok(only(scaled, 'PodDisruptionBudget', 'mem-engram'));
    assert.equal(find(render(PG_REPLICAS), 'HorizontalPodAutoscaler').length, 0, 'off unless asked');
  });

  it('shares Engram backups on PostgreSQL through one ReadWriteMany claim, or turns the schedule off', () => {
    const objects = render(PG_URL);
    const claim = only(objects, 'PersistentVolumeClaim', 'mem-engram-backups');
    assert.deepEqual(claim.spec.accessModes, ['ReadWriteMany']);
    for (const workload of [api(objects), worker(objects)]) {
      const volume = podSpec(workload).volumes.find((v: any) => v.persistentVolumeClaim);
      assert.equal(volume.persistentVolumeClaim.claimName, claim.metadata.name, workload.metadata.name);
    }
    const config = only(objects, 'ConfigMap', 'mem-engram').data;
    assert.equal(config.MCP_MEMORY_BACKUPS_PATH, '/backups');
    assert.equal(config.MCP_BACKUP_ENABLED, undefined, 'scheduled backups stay on');
    assert.equal(only(render(PG_REPLICAS), 'ConfigMap', 'mem-engram').data.MCP_BACKUP_ENABLED, 'false');
    assert.equal(only(render('defaults'), 'ConfigMap', 'mem-engram').data.MCP_BACKUP_ENABLED, undefined);
  });

  it('scrapes the separate worker pods as the same job and lets them, not others, reach Redis and the models', () => {
    const objects = render(PG_REPLICAS);
    const monitor = only(objects, 'ServiceMonitor', 'mem-engram');
    const apiService = only(objects, 'Service', 'mem-engram');
    const workerService = only(objects, 'Service', 'mem-engram-worker');
    assert.deepEqual(
      apiService.spec.ports.map((p: any) => p.name),
      ['http'],
      'the api Service sends no one to a worker',
    );
    assert.ok(selects(workerService.spec.selector, worker(objects).spec.template.metadata.labels));
    const matches = (service: K8sObject) =>
      selects(monitor.spec.selector.matchLabels, service.metadata.labels) &&
      monitor.spec.selector.matchExpressions.every((e: any) => e.values.includes(service.metadata.labels[e.key]));
    assert.deepEqual(
      find(objects, 'Service')
        .filter(matches)
        .map((s) => s.metadata.name),
      ['mem-engram', 'mem-engram-worker'],
    );
    // The alert rules select job="<fullname>": both Services give that job name.
    for (const service of [apiService, workerService]) {
      assert.equal(service.metadata.labels[monitor.spec.jobLabel], 'mem-engram');
    }
    assert.deepEqual(
      monitor.spec.endpoints.map((e: any) => [e.port, e.relabelings[0].replacement]),
      [
        ['http', 'api'],
        ['worker-http', 'worker'],
      ],
    );
    for (const name of ['mem-engram-redis', 'mem-engram-vllm', 'mem-engram-embedding']) {
      const policy = only(objects, 'NetworkPolicy', name);
      const peers = policy.spec.ingress[0].from.map((f: any) => f.podSelector.matchLabels);
      for (const workload of [api(objects), worker(objects)]) {
        assert.ok(
          peers.some((peer: any) => selects(peer, workload.spec.template.metadata.labels)),
          `${name} admits ${workload.metadata.name}`,
        );
      }
      assert.ok(!peers.some((peer: any) => selects(peer, vllm(objects).spec.template.metadata.labels)), name);
    }
    const workerPolicy = only(objects, 'NetworkPolicy', 'mem-engram-worker');
    assert.deepEqual(
      workerPolicy.spec.ingress.map((rule: any) => rule.ports[0].port),
      ['worker-http'],
    );
    assert.ok(selects(workerPolicy.spec.podSelector.matchLabels, worker(objects).spec.template.metadata.labels));
  });

  it('runs jobs inside the one api pod on PostgreSQL without a worker or Redis', () => {
    const objects = render('PostgreSQL, one api, jobs inside it, no Redis');
    assert.deepEqual(
      find(objects, 'Deployment').map((d) => d.metadata.name),
      ['mem-engram'],
    );
    assert.deepEqual(
      podSpec(api(objects)).containers.map((c: any) => c.name),
      ['api'],
    );
    assert.equal(envVar(container(api(objects), 'api'), 'REDIS_URL'), undefined);
    assert.equal(find(objects, 'StatefulSet').length, 0);
  });

  it('runs several api replicas on PostgreSQL without Redis, events and limits shared through the database', () => {
    for (const apiValues of [{ replicas: 3 }, { autoscaling: { enabled: true } }]) {
      const objects = renderChart({
        storage: { backend: 'postgres' },
        postgresql: { existingSecret: 'engram-db' },
        api: apiValues,
        worker: { enabled: false },
        redis: { enabled: false },
      });
      assert.equal(envVar(container(api(objects), 'api'), 'REDIS_URL'), undefined);
      assert.equal(find(objects, 'StatefulSet').length, 0);
      assert.equal(only(objects, 'PodDisruptionBudget', 'mem-engram').spec.maxUnavailable, 1);
    }
  });

  it('tells what runs and where the database is in the release notes, and tests the workers with helm test', () => {
    for (const [name, expected] of [
      [
        PG_REPLICAS,
        [
          /api: +3 pod\(s\), Deployment mem-engram /,
          /worker: +2 pod\(s\), Deployment mem-engram-worker/,
          /key dsn of Secret engram-db/,
          /scheduled backups are off/,
        ],
      ],
      [
        PG_URL,
        [/api: +2-8 pods \(autoscaled on CPU\), Deployment mem-engram /, /claim mem-engram-backups at \/backups/],
      ],
      [
        PG_CNPG,
        [
          /CloudNativePG Cluster mem-engram-postgres, 2 instance\(s\)/,
          /get cluster mem-engram-postgres/,
          /postgresql\.cnpg\.backup/,
        ],
      ],
    ] as [string, RegExp[]][]) {
      const values = valuesFile(VALUE_SETS[name].values);
      const result = helm(['install', 'mem', CHART_DIR, '--dry-run=client', '--namespace', 'engram', '-f', values]);
      assert.equal(result.status, 0, result.stderr);
      const notes = result.stdout.slice(result.stdout.indexOf('NOTES:'));
      for (const pattern of expected) assert.match(notes, pattern, name);
      assert.doesNotMatch(notes, /s3cret-pw/);
    }
    const objects = render(PG_REPLICAS);
    const probe = only(objects, 'Pod', 'mem-engram-test-worker');
    assert.equal(probe.metadata.annotations['helm.sh/hook'], 'test');
    const service = only(objects, 'Service', 'mem-engram-worker');
    assert.ok(
      probe.spec.containers[0].command.includes(`http://mem-engram-worker:${service.spec.ports[0].port}/health/live`),
    );
    assert.equal(
      find(render('defaults'), 'Pod', 'mem-engram-test-worker').length,
      0,
      'SQLite: the worker is in the api pod',
    );
  });

  it('re-embeds on a model change once, in one Job, while every api and worker pod on PostgreSQL waits for it', () => {
    const objects = render(PG_REPLICAS);
    const runners = workloads(objects).flatMap((workload) =>
      [...(podSpec(workload).initContainers ?? []), ...podSpec(workload).containers]
        .filter((c: any) => c.args?.[0] === 'reindex' && c.args.includes('--if-model-changed'))
        .map((c: any) => ({ workload, c })),
    );
    // A Job of one pod (no parallelism or completions), not a container of each of the 3 api replicas.
    assert.deepEqual(
      runners.map(({ workload, c }) => `${workload.kind} ${c.name} × ${workload.spec.replicas ?? 1}`),
      ['Job reindex × 1'],
      'one runner for the release, not one per api replica',
    );
    const [{ workload: job, c: reindex }] = runners;
    assert.equal(job.spec.parallelism ?? 1, 1);
    assert.equal(job.spec.completions ?? 1, 1);
    assert.match(job.metadata.name, /^mem-engram-reindex-[0-9a-f]{10}$/);
    assert.deepEqual(reindex.args, ['reindex', '--if-model-changed', '--in-process']);
    // Not a hook: pre-* hooks run before the new embedding server and ConfigMap exist, post-* ones after
    // `helm upgrade --wait` waited for api pods that wait for this Job.
    assert.equal(job.metadata.annotations?.['helm.sh/hook'], undefined);
    assert.equal(job.spec.backoffLimit, 10);
    assert.equal(podSpec(job).restartPolicy, 'Never');
    const apiContainer = container(api(objects), 'api');
    for (const field of ['image', 'envFrom', 'securityContext', 'resources', 'volumeMounts'])
      assert.deepEqual(reindex[field], apiContainer[field], field);
    assert.deepEqual(reindex.env, container(worker(objects), 'worker').env, 'the settings of the api and the worker');
    assert.equal(envVar(reindex, 'MCP_EXTERNAL_EMBEDDING_MODEL').value, 'Qwen/Qwen3-Embedding-0.6B');
    for (const field of ['securityContext', 'serviceAccountName', 'automountServiceAccountToken', 'volumes'])
      assert.deepEqual(podSpec(job)[field], podSpec(api(objects))[field], field);
    for (const [deployment, main] of [
      [api(objects), 'api'],
      [worker(objects), 'worker'],
    ] as const) {
      const inits = podSpec(deployment).initContainers ?? [];
      assert.deepEqual(
        inits.map((c: any) => [c.name, c.args]),
        [['wait-for-reindex', ['reindex', '--wait']]],
        `${deployment.metadata.name} waits for the Job and runs no reindex of its own`,
      );
      assert.deepEqual(inits[0].env, container(worker(objects), 'worker').env);
      assert.deepEqual(inits[0].volumeMounts, container(deployment, main).volumeMounts);
      assert.deepEqual(inits[0].resources, container(deployment, main).resources);
    }
    // SQLite: the api pod is the only one, and its init container runs the reindex before the worker beside it.
    const sqlite = render('defaults');
    assert.equal(find(sqlite, 'Job').length, 0);
    assert.deepEqual(
      podSpec(api(sqlite)).initContainers.map((c: any) => [c.name, c.args]),
      [['reindex-on-model-change', ['reindex', '--if-model-changed', '--in-process']]],
    );
    const off = renderChart({ ...VALUE_SETS[PG_REPLICAS].values, retrieval: { reindexOnModelChange: false } });
    assert.equal(find(off, 'Job').length, 0);
    for (const deployment of [api(off), worker(off)]) assert.equal(podSpec(deployment).initContainers, undefined);
  });

  it('names the reindex Job after its spec and the ConfigMap, so only a change of them runs it again', () => {
    const values = VALUE_SETS[PG_REPLICAS].values as any;
    const jobName = (changed: object) => only(renderChart({ ...values, ...changed }), 'Job').metadata.name as string;
    const name = only(render(PG_REPLICAS), 'Job').metadata.name;
    assert.equal(jobName({}), name, 'the same values render the same name: an upgrade leaves the finished Job');
    assert.equal(jobName({ api: { replicas: 5 } }), name, 'scaling is no model change');
    const model = { retrieval: { embedding: { enabled: true, servedModelName: 'BAAI/bge-m3', dimension: 1024 } } };
    assert.notEqual(jobName(model), name, 'a new embedding model makes a new Job');
    assert.notEqual(jobName({ config: { ENGRAM_EMBEDDING_BATCH_SIZE: '16' } }), name, 'so does the ConfigMap');
    assert.notEqual(jobName({ image: { tag: '9.9.9' } }), name, "a Job's pod template cannot change in place");
    const long = jobName({ fullnameOverride: 'e'.repeat(63) });
    assert.ok(long.length <= 63, `${long} fits a label value`);
    // With NetworkPolicies, its pods reach the embedding model as the api and worker pods do.
    const objects = renderChart({ ...values, networkPolicy: { enabled: true } });
    const job = only(objects, 'Job');
    const [rule] = only(objects, 'NetworkPolicy', 'mem-engram-embedding').spec.ingress;
    assert.ok(rule.from.some((peer: any) => selects(peer.podSelector.matchLabels, job.spec.template.metadata.labels)));
    const notes = helm(['install', 'mem', CHART_DIR, '--dry-run=client', '-n', 'engram', '-f', valuesFile(values)]);
    assert.match(notes.stdout, new RegExp(`logs -f job/${job.metadata.name}`));
  });

  it('takes the reindex Job’s retries and pod annotations, and refuses bad ones naming the setting', () => {
    const db = { storage: { backend: 'postgres' }, postgresql: { existingSecret: 'engram-db' } };
    const job = only(
      renderChart({
        ...db,
        retrieval: { reindexJob: { backoffLimit: 0, podAnnotations: { 'sidecar.istio.io/inject': 'false' } } },
      }),
      'Job',
    );
    assert.equal(job.spec.backoffLimit, 0);
    assert.deepEqual(job.spec.template.metadata.annotations, { 'sidecar.istio.io/inject': 'false' });
    for (const backoffLimit of [-1, 'six', 1000, 2.5])
      assertRefused({ ...db, retrieval: { reindexJob: { backoffLimit } } }, 'backoffLimit');
    assertRefused({ ...db, retrieval: { reindexJob: { podAnnotations: { inject: false } } } }, 'podAnnotations');
    assertRefused({ ...db, retrieval: { reindexJob: { retries: 3 } } }, "additional properties 'retries' not allowed");
  });

  it('refuses unsafe PostgreSQL and replica values at render time, naming the setting', () => {
    const pg = { storage: { backend: 'postgres' } };
    const db = { ...pg, postgresql: { existingSecret: 'engram-db' } };
    assertRefused(
      pg,
      'storage.backend=postgres needs a database',
      'postgresql.existingSecret',
      'postgresql.cnpg.enabled',
    );
    assertRefused(
      { ...pg, postgresql: { url: 'postgres://u:p@h/db', cnpg: { enabled: true } } },
      'postgresql.url and postgresql.cnpg.enabled',
      'choose one',
    );
    assertRefused({ ...db, worker: { replicas: 3 }, redis: { enabled: false } }, 'worker.enabled=true needs Redis');
    assertRefused({ ...db, encryption: { enabled: true } }, 'encryption.enabled=true encrypts a SQLite file');
    assertRefused(
      { ...db, persistence: { backups: { enabled: true } } },
      'persistence.backups.accessMode=ReadWriteOnce',
      'ReadWriteMany',
    );
    assertRefused(
      { ...db, api: { autoscaling: { enabled: true, minReplicas: 4, maxReplicas: 3 } } },
      'api.autoscaling.maxReplicas=3 is below minReplicas=4',
    );
    assertRefused(
      { ...pg, postgresql: { cnpg: { enabled: true, parameters: { max_connections: '100' } } }, api: { replicas: 8 } },
      'postgresql.poolSize=10 × 12 pods',
      'max_connections=100',
    );
    // SQLite keeps its refusals: one api, one worker beside it, no autoscaler, no shared data volume.
    assertRefused({ api: { replicas: 3 } }, 'api.replicas=3', 'SQLite', 'storage.backend=postgres');
    assertRefused({ worker: { replicas: 2 } }, 'worker.replicas=2 with storage.backend=sqlite_vec');
    assertRefused(
      { api: { autoscaling: { enabled: true } } },
      'api.autoscaling.enabled=true with storage.backend=sqlite_vec',
    );
    assertRefused({ persistence: { accessMode: 'ReadWriteMany' } }, 'ReadWriteMany');
    // An existing claim may well be ReadWriteMany: the chart cannot tell, so it trusts it.
    assert.ok(
      renderChart({ ...db, persistence: { backups: { enabled: true, existingClaim: 'shared-backups' } } }).length > 0,
    );
  });
});
