import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, runApiToExit, tempDir } from '../process-harness';
import { AGENT_VARIABLES_PENDING, engramConfigVariables } from './engram-variables';
import {
  container,
  danglingReferences,
  find,
  importMaxUploadBytes,
  K8sObject,
  kubectl,
  nginxSize,
  only,
  parseObjects,
  podSpec,
  renderChart,
  selects,
  validateObjects,
  workloads,
} from './manifests';

function kustomize(dir: string): K8sObject[] {
  const result = kubectl(['kustomize', join(ROOT, 'k8s', dir)]);
  assert.equal(result.status, 0, result.stderr);
  return parseObjects(result.stdout);
}

const base = () => kustomize('base');
const gpu = () => kustomize('overlays/gpu');

/** What must not drift between the chart and the plain manifests for one container. */
function shape(c: any) {
  return {
    args: c.args,
    ports: c.ports.map((p: any) => [p.name, p.containerPort]),
    mounts: c.volumeMounts.map((m: any) => m.mountPath),
    startup: c.startupProbe?.httpGet?.path,
    liveness: c.livenessProbe?.httpGet?.path,
    readiness: c.readinessProbe ? JSON.stringify(c.readinessProbe.exec ?? c.readinessProbe.httpGet) : undefined,
    securityContext: c.securityContext,
  };
}

describe('k8s/ kustomize base and gpu overlay', () => {
  for (const dir of ['base', 'overlays/gpu']) {
    it(`renders with kubectl kustomize into valid objects with no dangling reference: ${dir}`, async () => {
      const objects = kustomize(dir);
      assert.deepEqual(await validateObjects(objects), []);
      assert.deepEqual(danglingReferences(objects), []);
      for (const object of objects.filter((o) => o.kind !== 'Namespace')) {
        assert.equal(object.metadata.namespace, 'engram', `${object.kind}/${object.metadata.name}`);
      }
      assert.equal(only(objects, 'Namespace').metadata.name, 'engram');
    });
  }

  it('runs the api and the worker in one Recreate pod on the data PVC, like the chart', () => {
    const objects = base();
    const deployment = only(objects, 'Deployment', 'engram');
    assert.equal(deployment.spec.replicas, 1);
    assert.equal(deployment.spec.strategy.type, 'Recreate');
    const claim = podSpec(deployment).volumes.find((v: any) => v.name === 'data').persistentVolumeClaim.claimName;
    assert.equal(only(objects, 'PersistentVolumeClaim').metadata.name, claim);
    const chart = only(renderChart({}), 'Deployment', 'mem-engram');
    for (const name of ['api', 'worker']) {
      assert.deepEqual(shape(container(deployment, name)), shape(container(chart, name)), name);
    }
    assert.deepEqual(podSpec(deployment).securityContext, podSpec(chart).securityContext);
    assert.equal(podSpec(deployment).terminationGracePeriodSeconds, podSpec(chart).terminationGracePeriodSeconds);
    const redis = container(only(objects, 'StatefulSet', 'redis'), 'redis');
    const chartRedis = container(only(renderChart({}), 'StatefulSet', 'mem-engram-redis'), 'redis');
    assert.deepEqual(redis.securityContext, chartRedis.securityContext);
    assert.deepEqual(redis.readinessProbe.exec, chartRedis.readinessProbe.exec);
  });

  it('configures Engram with variables it reads, the API key from the Secret', () => {
    const objects = base();
    const known = new Set([...engramConfigVariables(), ...AGENT_VARIABLES_PENDING]);
    const config = only(objects, 'ConfigMap').data;
    for (const name of Object.keys(config)) assert.ok(known.has(name), `${name} is read by Engram`);
    const secret = only(objects, 'Secret');
    assert.deepEqual(Object.keys(secret.data), ['MCP_API_KEY']);
    assert.equal(config.REDIS_URL, `redis://${only(objects, 'Service', 'redis').metadata.name}:6379/0`);
    const envFrom = container(only(objects, 'Deployment'), 'api').envFrom;
    assert.deepEqual(
      envFrom.map((source: any) => source.configMapRef?.name ?? source.secretRef?.name),
      [only(objects, 'ConfigMap').metadata.name, secret.metadata.name],
    );
  });

  it('ships a secret placeholder that Engram refuses to start with', async () => {
    const placeholder = Buffer.from(only(base(), 'Secret').data.MCP_API_KEY, 'base64').toString();
    const run = await runApiToExit(
      { MCP_API_KEY: placeholder, MCP_HTTP_HOST: '0.0.0.0', MCP_MEMORY_SQLITE_PATH: ':memory:' },
      tempDir(),
    );
    assert.equal(run.code, 78, run.stderr);
    assert.match(run.stderr, /MCP_API_KEY is too short/);
  });

  it('publishes /, /api and /mcp through an unbuffered TLS ingress to the api Service', () => {
    const objects = base();
    const ingress = only(objects, 'Ingress');
    assert.equal(ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-buffering'], 'off');
    const bodySize = ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-body-size'];
    assert.ok(nginxSize(bodySize) >= importMaxUploadBytes(), `imports upload through it (${bodySize})`);
    const [rule] = ingress.spec.rules;
    assert.deepEqual(ingress.spec.tls[0].hosts, [rule.host]);
    assert.deepEqual(
      rule.http.paths.map((p: any) => p.path),
      ['/', '/api', '/mcp'],
    );
    const service = only(objects, 'Service', 'engram');
    for (const path of rule.http.paths) assert.equal(path.backend.service.name, service.metadata.name);
    assert.equal(only(objects, 'ConfigMap').data.ENGRAM_PUBLIC_URL, `https://${rule.host}`);
  });

  it('adds vLLM in the gpu overlay: GPU on its container only, the chart flags, reachable only from Engram', () => {
    const objects = gpu();
    const deployment = only(objects, 'Deployment', 'vllm');
    const model = container(deployment, 'vllm');
    assert.equal(model.resources.limits['nvidia.com/gpu'], 1);
    for (const workload of workloads(objects).filter((w) => w !== deployment)) {
      for (const c of podSpec(workload).containers) {
        assert.ok(!JSON.stringify(c.resources ?? {}).includes('gpu'), `${c.name} asks for no GPU`);
      }
    }
    const chartModel = container(
      only(renderChart({ vllm: { enabled: true } }), 'Deployment', 'mem-engram-vllm'),
      'vllm',
    );
    assert.deepEqual(model.command, chartModel.command);
    assert.deepEqual(
      model.args,
      chartModel.args.filter((arg: string) => !arg.startsWith('--api-key=')),
    );
    assert.equal(model.image, chartModel.image);
    // The upstream image has no passwd entry for the pod's uid: torch's getpass.getuser() reads USER first.
    assert.ok(podSpec(deployment).securityContext.runAsUser > 0);
    assert.deepEqual(
      model.env.find((e: any) => e.name === 'USER'),
      chartModel.env.find((e: any) => e.name === 'USER'),
    );
    assert.equal(model.env.find((e: any) => e.name === 'USER')?.value, 'vllm');
    assert.ok(
      podSpec(deployment).volumes.some((v: any) => v.emptyDir?.medium === 'Memory'),
      '/dev/shm',
    );
    assert.ok(model.startupProbe.periodSeconds * model.startupProbe.failureThreshold >= 600);

    const config = find(objects, 'ConfigMap')[0].data;
    const service = only(objects, 'Service', 'vllm');
    assert.equal(config.VLLM_HOST, service.metadata.name);
    assert.equal(config.VLLM_PORT, String(service.spec.ports[0].port));
    assert.equal(config.MCP_HTTP_PORT, '8000', 'merged over the base config, not replacing it');
    const engram = only(objects, 'Deployment', 'engram');
    const vllmSecret = only(objects, 'Secret', model.envFrom[0].secretRef.name);
    for (const name of ['api', 'worker']) {
      const names = container(engram, name).envFrom.map((s: any) => s.secretRef?.name);
      assert.ok(names.includes(vllmSecret.metadata.name), `${name} reads the vLLM key`);
    }
    const policy = only(objects, 'NetworkPolicy', 'vllm');
    assert.ok(selects(policy.spec.podSelector.matchLabels, deployment.spec.template.metadata.labels));
    assert.ok(selects(policy.spec.ingress[0].from[0].podSelector.matchLabels, engram.spec.template.metadata.labels));
    assert.equal(find(base(), 'Deployment', 'vllm').length, 0, 'the base stays CPU only');
  });
});
