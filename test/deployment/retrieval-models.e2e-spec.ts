import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { ROOT } from '../process-harness';
import { engramConfigVariables } from './engram-variables';
import {
  CHART_DIR,
  container,
  danglingReferences,
  envVar,
  find,
  helm,
  K8sObject,
  only,
  podSpec,
  renderChart,
  selects,
  validateObjects,
  valuesFile,
} from './manifests';

const RETRIEVAL_ON = {
  vllm: { enabled: true },
  retrieval: { embedding: { enabled: true }, reranker: { enabled: true } },
  networkPolicy: { enabled: true },
};
const SCORE_TEMPLATE = readFileSync(join(CHART_DIR, 'files', 'qwen3-reranker-score.jinja'), 'utf8');

/** `vllm serve` flags of a container as name → value ("--runner=pooling" → runner: pooling). */
function flags(args: string[]): Record<string, string> {
  return Object.fromEntries(
    args
      .filter((arg) => arg.startsWith('--'))
      .map((arg) => [arg.slice(2).split('=')[0], arg.split('=').slice(1).join('=')]),
  );
}

/** The value an env entry holds, or the Secret it reads. */
function envValue(containerSpec: any, name: string): string | undefined {
  const entry = envVar(containerSpec, name);
  if (!entry) return undefined;
  return entry.value ?? `secret:${entry.valueFrom.secretKeyRef.name}/${entry.valueFrom.secretKeyRef.key}`;
}

describe('Helm chart: GPU retrieval models', () => {
  const objects = renderChart(RETRIEVAL_ON);
  const deployment = (name: string) => only(objects, 'Deployment', name);
  const engram = deployment('mem-engram');

  it('passes lint --strict and renders valid objects with no dangling reference', async () => {
    const lint = helm(['lint', '--strict', CHART_DIR, '-f', valuesFile(RETRIEVAL_ON)]);
    assert.equal(lint.status, 0, lint.stdout + lint.stderr);
    assert.deepEqual(await validateObjects(objects), []);
    assert.deepEqual(danglingReferences(objects), []);
  });

  it('serves the embedding model and the reranker on vLLM, each in its own deployment with its GPU share', () => {
    const embedding = container(deployment('mem-engram-embedding'), 'vllm');
    const reranker = container(deployment('mem-engram-reranker'), 'vllm');
    for (const [model, name] of [
      [embedding, 'Qwen/Qwen3-Embedding-0.6B'],
      [reranker, 'Qwen/Qwen3-Reranker-0.6B'],
    ]) {
      assert.match(model.image, /^vllm\/vllm-openai:v\d+\.\d+\.\d+$/);
      assert.deepEqual(model.command, ['vllm', 'serve']);
      assert.equal(model.args[0], name);
      const set = flags(model.args);
      assert.equal(set.runner, 'pooling');
      assert.equal(set['served-model-name'], name);
      assert.equal(set['gpu-memory-utilization'], '0.1');
      assert.equal(set['api-key'], '$(VLLM_API_KEY)');
      assert.equal(model.resources.requests['nvidia.com/gpu'], 1);
      assert.equal(model.resources.limits['nvidia.com/gpu'], 1);
      assert.ok(model.startupProbe && model.livenessProbe && model.readinessProbe);
    }
    const agent = flags(container(deployment('mem-engram-vllm'), 'vllm').args);
    assert.equal(agent['served-model-name'], 'driaforall/mem-agent', 'the agent keeps its own deployment');
  });

  it('loads the reranker as a classifier with the chart’s score template, mounted from a ConfigMap', () => {
    const rerankerDeployment = deployment('mem-engram-reranker');
    const reranker = container(rerankerDeployment, 'vllm');
    const set = flags(reranker.args);
    assert.deepEqual(JSON.parse(set['hf-overrides']), {
      architectures: ['Qwen3ForSequenceClassification'],
      classifier_from_token: ['no', 'yes'],
      is_original_qwen3_reranker: true,
    });
    const mount = reranker.volumeMounts.find((m: any) => set['chat-template'].startsWith(`${m.mountPath}/`));
    const volume = podSpec(rerankerDeployment).volumes.find((v: any) => v.name === mount.name);
    const map = only(objects, 'ConfigMap', volume.configMap.name);
    assert.equal(map.data[set['chat-template'].split('/').at(-1)!], SCORE_TEMPLATE);
    assert.match(SCORE_TEMPLATE, /<Query>: .*"query".*\n<Document>: .*"document"/);
    assert.equal(flags(container(deployment('mem-engram-embedding'), 'vllm').args)['chat-template'], undefined);
  });

  it('wires Engram to both Services with the key the servers require', () => {
    const services = new Map(find(objects, 'Service').map((s) => [s.metadata.name, s]));
    for (const name of ['api', 'worker']) {
      const c = container(engram, name);
      assert.equal(envValue(c, 'ENGRAM_EMBEDDING_PROVIDER'), 'openai');
      assert.equal(envValue(c, 'MCP_EXTERNAL_EMBEDDING_MODEL'), 'Qwen/Qwen3-Embedding-0.6B');
      assert.equal(envValue(c, 'ENGRAM_EMBEDDING_DIMENSION'), '1024');
      assert.match(envValue(c, 'ENGRAM_EMBEDDING_QUERY_PREFIX')!, /^Instruct: .*\nQuery: $/s);
      assert.equal(envValue(c, 'ENGRAM_RERANK_MODEL'), 'Qwen/Qwen3-Reranker-0.6B');
      assert.equal(envValue(c, 'ENGRAM_RERANK_CANDIDATES'), '50');
      for (const [urlVariable, keyVariable, role] of [
        ['MCP_EXTERNAL_EMBEDDING_URL', 'MCP_EXTERNAL_EMBEDDING_API_KEY', 'embedding'],
        ['ENGRAM_RERANK_URL', 'ENGRAM_RERANK_API_KEY', 'reranker'],
      ]) {
        const url = new URL(envValue(c, urlVariable)!);
        assert.equal(url.pathname, '/v1');
        const service = services.get(url.hostname);
        assert.ok(service, `${urlVariable} names a rendered Service`);
        assert.equal(String(service.spec.ports[0].port), url.port);
        const target = deployment(`mem-engram-${role}`);
        assert.ok(selects(service.spec.selector, target.spec.template.metadata.labels));
        assert.equal(envValue(c, keyVariable), envValue(container(target, 'vllm'), 'VLLM_API_KEY'));
        assert.match(envValue(c, keyVariable)!, /^secret:mem-engram-retrieval\//);
      }
    }
    const known = engramConfigVariables();
    const names = podSpec(engram).containers.flatMap((c: any) => c.env.map((e: any) => e.name));
    assert.deepEqual(
      names.filter((n: string) => !known.has(n) && n !== 'REDIS_PASSWORD'),
      [],
    );
  });

  it('re-embeds on a model change before the api and the worker start, in the pod, with their settings', () => {
    const [init] = podSpec(engram).initContainers;
    assert.deepEqual(init.args, ['reindex', '--if-model-changed', '--in-process']);
    assert.equal(init.image, container(engram, 'api').image);
    assert.deepEqual(init.env, container(engram, 'worker').env);
    assert.ok(init.volumeMounts.some((m: any) => m.name === 'data' && m.mountPath === '/data'));
    assert.equal(init.securityContext.allowPrivilegeEscalation, false);
    const off = renderChart({ ...RETRIEVAL_ON, retrieval: { ...RETRIEVAL_ON.retrieval, reindexOnModelChange: false } });
    assert.equal(podSpec(only(off, 'Deployment', 'mem-engram')).initContainers, undefined);
  });

  it('lets only Engram’s pods reach the models', () => {
    for (const role of ['embedding', 'reranker']) {
      const policy = only(objects, 'NetworkPolicy', `mem-engram-${role}`);
      assert.ok(
        selects(policy.spec.podSelector.matchLabels, deployment(`mem-engram-${role}`).spec.template.metadata.labels),
      );
      const [rule] = policy.spec.ingress;
      assert.ok(selects(rule.from[0].podSelector.matchLabels, engram.spec.template.metadata.labels));
    }
  });

  it('renders no retrieval model by default, and Engram keeps the bundled embedding model', () => {
    const defaults = renderChart({});
    for (const role of ['embedding', 'reranker'])
      assert.equal(find(defaults, 'Deployment', `mem-engram-${role}`).length, 0);
    assert.equal(find(defaults, 'Secret', 'mem-engram-retrieval').length, 0);
    const api = container(only(defaults, 'Deployment', 'mem-engram'), 'api');
    assert.equal(envVar(api, 'ENGRAM_EMBEDDING_PROVIDER'), undefined);
    assert.equal(envVar(api, 'ENGRAM_RERANK_URL'), undefined);
  });

  it('takes a reranker without a score template (a plain cross-encoder) and the key from an existing Secret', () => {
    const values = {
      retrieval: {
        reranker: {
          enabled: true,
          model: 'BAAI/bge-reranker-v2-m3',
          servedModelName: 'bge',
          scoreTemplate: '',
          hfOverrides: null,
        },
        auth: { existingSecret: 'models-key', existingSecretKey: 'key' },
      },
    };
    const rendered: K8sObject[] = renderChart(values);
    const reranker = container(only(rendered, 'Deployment', 'mem-engram-reranker'), 'vllm');
    assert.equal(flags(reranker.args)['chat-template'], undefined);
    assert.equal(flags(reranker.args)['hf-overrides'], undefined);
    assert.equal(find(rendered, 'ConfigMap', 'mem-engram-reranker-template').length, 0);
    assert.equal(envValue(reranker, 'VLLM_API_KEY'), 'secret:models-key/key');
    assert.deepEqual(danglingReferences(rendered, ['models-key']), []);
    assert.throws(
      () => renderChart({ retrieval: { reranker: { enabled: true, scoreTemplate: 'missing.jinja' } } }),
      /missing\.jinja/,
    );
  });
});

describe('compose.yaml: GPU retrieval models', () => {
  const composeConfig = (env: Record<string, string>) => {
    const result = spawnSync(
      'docker-compose',
      ['-f', join(ROOT, 'compose.yaml'), '--env-file', join(ROOT, '.env.example'), '--profile', 'gpu', 'config'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', HOME: '/tmp', MCP_API_KEY: 'compose-test-key-0123456789', ...env },
      },
    );
    assert.equal(result.status, 0, result.stderr);
    return parse(result.stdout).services;
  };

  /** The GPU-retrieval block of .env.example, uncommented: what an operator turns on. */
  const gpuBlock = (): Record<string, string> => {
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
    const block = example.slice(example.indexOf('# GPU retrieval models'));
    const isSetting = (line: string) => /^# [A-Z_]+=/.test(line);
    const lines = block.split('\n');
    const start = lines.findIndex(isSetting);
    const settings = lines.slice(start, start + lines.slice(start).findIndex((line) => !isSetting(line)));
    return Object.fromEntries(
      settings.map((line) => {
        const [name, ...value] = line.slice(2).split('=');
        return [
          name,
          value
            .join('=')
            .replace(/^"(.*)"$/, '$1')
            .replace(/\\n/g, '\n'),
        ];
      }),
    );
  };

  it('serves both models in the gpu profile on the GPU, beside the agent, within the GPU’s memory', () => {
    const services = composeConfig({});
    const fractions: number[] = [Number(services.vllm.environment.MEM_AGENT_GPU_MEMORY_UTILIZATION)];
    for (const [name, model] of [
      ['embeddings', 'Qwen/Qwen3-Embedding-0.6B'],
      ['reranker', 'Qwen/Qwen3-Reranker-0.6B'],
    ]) {
      const service = services[name];
      assert.deepEqual(service.profiles, ['gpu']);
      assert.match(service.image, /^vllm\/vllm-openai:v\d+\.\d+\.\d+$/);
      assert.deepEqual(service.entrypoint, ['vllm', 'serve']);
      assert.equal(service.command[0], model);
      assert.equal(flags(service.command).runner, 'pooling');
      fractions.push(Number(flags(service.command)['gpu-memory-utilization']));
      assert.deepEqual(service.deploy.resources.reservations.devices, [
        { driver: 'nvidia', count: 1, capabilities: ['gpu'] },
      ]);
      assert.equal(service.ports, undefined, 'reachable only inside the compose network');
      assert.match(service.healthcheck.test.join(' '), /127\.0\.0\.1:8000\/health/);
    }
    assert.ok(fractions.reduce((sum, value) => sum + value, 0) <= 0.95, `GPU shares ${fractions}`);
    const reranker = flags(services.reranker.command);
    assert.equal(JSON.parse(reranker['hf-overrides']).architectures[0], 'Qwen3ForSequenceClassification');
    const mount = services.reranker.volumes.find((v: string) => v.endsWith(':/templates:ro'));
    const file = join(mount.split(':')[0], reranker['chat-template'].replace('/templates/', ''));
    assert.equal(readFileSync(file, 'utf8'), SCORE_TEMPLATE, 'the same template as the chart');
  });

  it('wires Engram to them with the block of .env.example, and each server requires Engram’s key', () => {
    const settings: Record<string, string> = {
      ...gpuBlock(),
      MCP_EXTERNAL_EMBEDDING_API_KEY: 'embedding-key-0123',
      ENGRAM_RERANK_API_KEY: 'rerank-key-0123',
    };
    assert.equal(settings.ENGRAM_EMBEDDING_PROVIDER, 'openai');
    const services = composeConfig(settings);
    for (const [urlVariable, keyVariable, name] of [
      ['MCP_EXTERNAL_EMBEDDING_URL', 'MCP_EXTERNAL_EMBEDDING_API_KEY', 'embeddings'],
      ['ENGRAM_RERANK_URL', 'ENGRAM_RERANK_API_KEY', 'reranker'],
    ]) {
      const url = new URL(services.api.environment[urlVariable]);
      assert.equal(url.hostname, name);
      assert.equal(url.port, flags(services[name].command).port);
      assert.equal(services[name].environment.VLLM_API_KEY, services.api.environment[keyVariable]);
    }
    assert.equal(services.api.environment.MCP_EXTERNAL_EMBEDDING_MODEL, services.embeddings.command[0]);
    assert.equal(services.api.environment.ENGRAM_RERANK_MODEL, services.reranker.command[0]);
    assert.match(services.api.environment.ENGRAM_EMBEDDING_QUERY_PREFIX, /^Instruct: .*\nQuery: $/s);
  });

  it('re-embeds before the api starts when the embedding model changed', () => {
    const services = composeConfig({});
    assert.deepEqual(services.reindex.command, ['reindex', '--if-model-changed', '--in-process']);
    assert.equal(services.reindex.profiles, undefined, 'runs with every profile');
    assert.equal(services.reindex.restart, 'no');
    assert.deepEqual(services.reindex.environment, services.api.environment);
    assert.deepEqual(services.reindex.volumes, services.api.volumes);
    assert.equal(services.api.depends_on.reindex.condition, 'service_completed_successfully');
  });
});
