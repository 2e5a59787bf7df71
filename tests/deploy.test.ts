// The Kubernetes manifests in deploy/k8s, checked without a cluster: every file parses and is a
// well-typed Kubernetes object, and the invariants that keep the services alive hold (probes,
// limits, graceful termination, non-root, the production config each service needs, Services,
// HPAs and PDBs that point at real Deployments and ports). Each failure names the manifest.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadConfig, type Config } from '@commons/shared';

const ROOT = path.resolve(__dirname, '..');
const K8S_DIR = path.join(ROOT, 'deploy/k8s');
const SERVICES = ['gateway', 'message', 'channel', 'voice', 'board'] as const;
type Service = (typeof SERVICES)[number];
const SUBGRAPHS = ['message', 'channel', 'voice', 'board'] as const;
/** The SIGTERM drain of shared/src/service-main.ts fits within this many seconds. */
const SHUTDOWN_S = 10;
/** Variables the pods may carry that are not the app's config: process plumbing. */
const PROCESS_VARIABLES = new Set(['HOME', 'TMPDIR', 'NPM_CONFIG_CACHE', 'NODE_OPTIONS']);

/* eslint-disable @typescript-eslint/no-explicit-any */
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  [key: string]: any;
}

interface Manifest {
  file: string;
  obj: K8sObject;
  /** "<file>: <Kind>/<name>", the prefix of every failure about it. */
  where: string;
}

class ManifestError extends Error {}
/** Throws with the manifest's name first, so a failure says which file to open. */
function check(condition: unknown, where: string, message: string): asserts condition {
  if (!condition) throw new ManifestError(`${where}: ${message}`);
}

// ---------------------------------------------------------------- loading

const manifestFiles = readdirSync(K8S_DIR)
  .filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml')
  .sort();

function loadManifests(): Manifest[] {
  const manifests: Manifest[] = [];
  for (const file of manifestFiles) {
    const text = readFileSync(path.join(K8S_DIR, file), 'utf8');
    for (const doc of parseAllDocuments(text)) {
      check(doc.errors.length === 0, file, `does not parse: ${doc.errors.map((e) => e.message).join('; ')}`);
      check(doc.warnings.length === 0, file, `parses with warnings: ${doc.warnings.map((e) => e.message).join('; ')}`);
      const obj = doc.toJS() as K8sObject | null;
      if (obj == null) continue; // an empty document (a trailing ---)
      check(typeof obj.kind === 'string' && typeof obj.apiVersion === 'string', file, 'a document without kind or apiVersion');
      check(typeof obj.metadata?.name === 'string', file, `a ${obj.kind} without metadata.name`);
      manifests.push({ file, obj, where: `${file}: ${obj.kind}/${obj.metadata.name}` });
    }
  }
  return manifests;
}

const manifests = loadManifests();
const ofKind = (kind: string) => manifests.filter((m) => m.obj.kind === kind);
const deployments = ofKind('Deployment');
const jobs = ofKind('Job');
const workloads = [...deployments, ...jobs];
const k8sServices = ofKind('Service');
const namespaceName = ofKind('Namespace')[0]?.obj.metadata.name;
const packageScripts: Record<string, string> = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts;

function byName(kind: string, name: string, where: string): Manifest {
  const found = manifests.filter((m) => m.obj.kind === kind && m.obj.metadata.name === name);
  check(found.length === 1, where, `refers to ${kind}/${name}, of which deploy/k8s has ${found.length}`);
  return found[0];
}

// ---------------------------------------------------------------- helpers

const podSpec = (m: Manifest) => m.obj.spec?.template?.spec ?? {};
const containersOf = (m: Manifest): any[] => podSpec(m).containers ?? [];
const mainContainer = (m: Manifest): any => {
  const containers = containersOf(m);
  check(containers.length === 1, m.where, `expected one container, found ${containers.length}`);
  return containers[0];
};

/** Every selector label is on the pod template. */
const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);
const podLabels = (m: Manifest) => m.obj.spec?.template?.metadata?.labels as Record<string, string> | undefined;

/** `npm run <script>`: the script, which must exist in package.json. */
function scriptOf(m: Manifest): string {
  const container = mainContainer(m);
  const argv: string[] = [...(container.command ?? []), ...(container.args ?? [])];
  check(argv.length === 3 && argv[0] === 'npm' && argv[1] === 'run', m.where, `command ${JSON.stringify(argv)} is not \`npm run <script>\``);
  check(argv[2] in packageScripts, m.where, `runs \`npm run ${argv[2]}\`, which package.json does not have`);
  return argv[2];
}

/** Which service a Deployment runs, from its `npm run start:<service>` command. */
function serviceOf(m: Manifest): Service {
  const script = scriptOf(m);
  const service = script.replace(/^start:/, '') as Service;
  check(script.startsWith('start:') && SERVICES.includes(service), m.where, `runs \`npm run ${script}\`, not one of ${SERVICES.map((s) => `start:${s}`).join(', ')}`);
  return service;
}

/** A container port by number or name. */
function resolvePort(m: Manifest, port: number | string | undefined, what: string): number {
  check(port !== undefined, m.where, `${what} has no port`);
  const ports: Array<{ name?: string; containerPort: number }> = mainContainer(m).ports ?? [];
  const found = typeof port === 'number' ? ports.find((p) => p.containerPort === port) : ports.find((p) => p.name === port);
  check(found, m.where, `${what} targets port ${JSON.stringify(port)}, which the container does not declare (${JSON.stringify(ports)})`);
  return found.containerPort;
}

/** The environment the container starts with: envFrom (ConfigMaps, Secrets) in order, then env. */
function environmentOf(m: Manifest): Record<string, string> {
  const container = mainContainer(m);
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const prefix: string = source.prefix ?? '';
    if (source.configMapRef) {
      const cm = byName('ConfigMap', source.configMapRef.name, m.where).obj;
      for (const [k, v] of Object.entries(cm.data ?? {})) env[prefix + k] = String(v);
    } else if (source.secretRef) {
      // The Secret is a template (secret.example.yaml): its keys are what the real one must have.
      const secret = byName('Secret', source.secretRef.name, m.where).obj;
      for (const [k, v] of Object.entries(secret.data ?? {})) env[prefix + k] = Buffer.from(String(v), 'base64').toString('utf8');
      for (const [k, v] of Object.entries(secret.stringData ?? {})) env[prefix + k] = String(v);
    } else {
      check(false, m.where, `an envFrom source this check does not know: ${JSON.stringify(source)}`);
    }
  }
  for (const variable of container.env ?? []) {
    check(variable.value !== undefined, m.where, `env ${variable.name} uses valueFrom, which this check cannot resolve: use a value or envFrom`);
    env[variable.name] = String(variable.value);
  }
  return env;
}

/** The service's configuration, exactly as loadConfig (shared/src/config.ts) makes it from that environment. */
function configOf(m: Manifest): Config {
  const env = environmentOf(m);
  try {
    return loadConfig(env);
  } catch (err) {
    throw new ManifestError(`${m.where}: its environment is not a valid configuration:\n${(err as Error).message}`);
  }
}

/** "100m" -> 0.1, "1" -> 1, "256Mi" -> 268435456. */
function quantity(value: string | number): number {
  const match = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(value));
  if (!match) return NaN;
  const units: Record<string, number> = { '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };
  return match[2] in units ? Number(match[1]) * units[match[2]] : NaN;
}

/** Seconds a `preStop` hook waits (an exec `sleep N` or the `sleep` action); 0 without one. */
function preStopSeconds(m: Manifest): number {
  const preStop = mainContainer(m).lifecycle?.preStop;
  if (!preStop) return 0;
  if (preStop.sleep) return Number(preStop.sleep.seconds);
  const argv: string[] = preStop.exec?.command ?? [];
  check(argv.length === 2 && argv[0] === 'sleep' && /^\d+$/.test(argv[1]), m.where, `preStop ${JSON.stringify(preStop)} is not a plain sleep`);
  return Number(argv[1]);
}

/** The variable names config.ts reads (its zod schema's keys), to catch a misspelt one in a ConfigMap. */
function configVariables(): Set<string> {
  const source = readFileSync(path.join(ROOT, 'shared/src/config.ts'), 'utf8');
  const names = [...source.matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)].map((match) => match[1]);
  if (names.length < 10) throw new Error(`Found only ${names.length} variables in shared/src/config.ts: the pattern in deploy.test.ts needs updating`);
  return new Set(names);
}

/** Loads the model of `obj`'s kind from kubernetes-models and validates it against the API schema. */
function validateSchema(m: Manifest): void {
  const group = m.obj.apiVersion; // "v1" or "<group>/<version>": the package's folder layout
  let Model: (new (data: unknown) => { validate(): void }) | undefined;
  try {
    Model = require(`kubernetes-models/${group}/${m.obj.kind}`)[m.obj.kind];
  } catch {
    Model = undefined;
  }
  check(Model, m.where, `apiVersion ${group} has no kind ${m.obj.kind} (a typo, or an API removed from Kubernetes)`);
  try {
    new Model(m.obj).validate();
  } catch (err) {
    throw new ManifestError(`${m.where}: not a valid ${m.obj.kind}: ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------- the tests

describe('deploy/k8s manifests', () => {
  it('are found', () => {
    expect(manifestFiles.length).toBeGreaterThan(0);
    expect(deployments.length).toBeGreaterThan(0);
  });

  it.each(manifests.map((m) => [m.where, m] as const))('%s is a valid Kubernetes object in the namespace', (_where, m) => {
    validateSchema(m);
    check(namespaceName, 'deploy/k8s', 'has no Namespace');
    if (m.obj.kind !== 'Namespace') {
      check(m.obj.metadata.namespace === namespaceName, m.where, `is in namespace ${m.obj.metadata.namespace ?? '(none)'}, not ${namespaceName}`);
    }
  });

  it('kustomization.yaml lists every manifest but the examples (never the Secret template)', () => {
    const kustomization = parseAllDocuments(readFileSync(path.join(K8S_DIR, 'kustomization.yaml'), 'utf8'))[0].toJS();
    const resources: string[] = kustomization.resources ?? [];
    for (const file of resources) check(manifestFiles.includes(file), 'kustomization.yaml', `lists ${file}, which does not exist`);
    for (const file of manifestFiles) {
      const example = /\.example\.ya?ml$/.test(file);
      check(example || resources.includes(file), 'kustomization.yaml', `does not list ${file} (examples are named *.example.yaml)`);
      check(!example || !resources.includes(file), 'kustomization.yaml', `lists the template ${file}: applying it would overwrite real values with placeholders`);
    }
    check(kustomization.namespace === namespaceName, 'kustomization.yaml', `namespace is ${kustomization.namespace}, not ${namespaceName}`);
    const images = workloads.map((m) => mainContainer(m).image.split(':')[0]);
    for (const image of new Set(images)) {
      check((kustomization.images ?? []).some((i: { name: string }) => i.name === image), 'kustomization.yaml', `has no images entry for ${image}`);
    }
  });

  it('has exactly one Deployment per service, all of one image (the Dockerfile builds one)', () => {
    const count = (s: Service) => deployments.filter((m) => serviceOf(m) === s).length;
    for (const service of SERVICES) check(count(service) === 1, 'deploy/k8s', `has ${count(service)} Deployments running start:${service}`);
    const images = new Set(workloads.map((m) => mainContainer(m).image));
    check(images.size === 1, 'deploy/k8s', `uses several images: ${[...images].join(', ')}`);
  });

  it('ConfigMap and Secret hold only variables the config reads (no typos)', () => {
    const known = configVariables();
    for (const m of [...ofKind('ConfigMap'), ...ofKind('Secret')]) {
      const keys = Object.keys({ ...m.obj.data, ...m.obj.stringData });
      for (const key of keys) {
        check(known.has(key) || PROCESS_VARIABLES.has(key) || key.startsWith('OTEL_'), m.where, `${key} is not a variable shared/src/config.ts reads`);
      }
    }
  });
});

describe.each(deployments.map((m) => [m.where, m] as const))('%s', (_where, m) => {
  const where = m.where;

  it('runs one of the package.json start scripts, with selector matching its pods', () => {
    serviceOf(m);
    check(selects(m.obj.spec.selector?.matchLabels, podLabels(m)), where, 'spec.selector does not match the pod template labels');
  });

  it('is probed: readiness on /ready, liveness (and startup) on /health, on its port', () => {
    const c = mainContainer(m);
    const config = configOf(m);
    const service = serviceOf(m);
    const port = service === 'gateway' ? config.gateway.port : config.subgraphs[service].port;
    for (const [probe, path] of [['readinessProbe', '/ready'], ['livenessProbe', '/health'], ['startupProbe', '/health']] as const) {
      const p = c[probe];
      if (probe === 'startupProbe' && !p) continue;
      check(p?.httpGet, where, `has no ${probe} over HTTP`);
      check(p.httpGet.path === path, where, `${probe} is on ${p.httpGet.path}, not ${path}`);
      const probed = resolvePort(m, p.httpGet.port, probe);
      check(probed === port, where, `${probe} probes port ${probed}, but the service listens on ${port} (its config)`);
    }
    check(c.readinessProbe.timeoutSeconds >= 3, where, 'readinessProbe.timeoutSeconds under 3 s: /ready waits up to 2 s for its checks');
  });

  it('has CPU and memory requests and limits', () => {
    const r = mainContainer(m).resources ?? {};
    for (const kind of ['requests', 'limits'] as const) {
      for (const resource of ['cpu', 'memory'] as const) {
        check(r[kind]?.[resource] !== undefined, where, `has no ${kind}.${resource}`);
        check(!Number.isNaN(quantity(r[kind][resource])), where, `${kind}.${resource} ${r[kind][resource]} is not a quantity`);
      }
    }
    for (const resource of ['cpu', 'memory'] as const) {
      check(quantity(r.requests[resource]) <= quantity(r.limits[resource]), where, `requests.${resource} exceeds limits.${resource}`);
    }
  });

  it(`terminates gracefully: grace period covers preStop plus the ${SHUTDOWN_S} s drain`, () => {
    const grace = podSpec(m).terminationGracePeriodSeconds;
    const sleep = preStopSeconds(m);
    check(typeof grace === 'number', where, 'sets no terminationGracePeriodSeconds');
    check(sleep > 0, where, 'has no preStop sleep: the pod would drain while Services still send it traffic');
    check(grace >= sleep + SHUTDOWN_S, where, `terminationGracePeriodSeconds ${grace} < preStop ${sleep} s + ${SHUTDOWN_S} s drain`);
  });

  it('is scraped by Prometheus at /metrics on its port', () => {
    const a = m.obj.spec.template.metadata?.annotations ?? {};
    check(a['prometheus.io/scrape'] === 'true', where, 'pod template lacks prometheus.io/scrape: "true"');
    check(a['prometheus.io/path'] === '/metrics', where, `prometheus.io/path is ${a['prometheus.io/path']}, not /metrics`);
    check(Number(a['prometheus.io/port']) === resolvePort(m, 'http', 'the http port'), where, `prometheus.io/port ${a['prometheus.io/port']} is not the container port`);
  });
});

describe.each(workloads.map((m) => [m.where, m] as const))('%s', (_where, m) => {
  const where = m.where;

  it('runs as non-root on a read-only root filesystem, writing only to /tmp', () => {
    const pod = podSpec(m);
    const c = mainContainer(m);
    const sc = { ...pod.securityContext, ...c.securityContext };
    check(sc.runAsNonRoot === true, where, 'does not set runAsNonRoot: true');
    // The image's USER is a name (node): without a numeric runAsUser the kubelet refuses to start it.
    check(Number.isInteger(sc.runAsUser) && sc.runAsUser > 0, where, `runAsUser ${sc.runAsUser} is not a numeric non-root uid`);
    check(c.securityContext?.allowPrivilegeEscalation === false, where, 'does not set allowPrivilegeEscalation: false');
    check(c.securityContext?.readOnlyRootFilesystem === true, where, 'does not set readOnlyRootFilesystem: true');
    const tmp = (c.volumeMounts ?? []).find((v: { mountPath: string }) => v.mountPath === '/tmp');
    check(tmp, where, 'mounts nothing writable at /tmp (tsx and npm write there)');
    const volume = (pod.volumes ?? []).find((v: { name: string }) => v.name === tmp.name);
    check(volume?.emptyDir, where, `/tmp is volume ${tmp.name}, which is not an emptyDir`);
    const env = environmentOf(m);
    for (const variable of ['HOME', 'TMPDIR', 'NPM_CONFIG_CACHE']) {
      check(env[variable]?.startsWith('/tmp'), where, `${variable} is ${env[variable] ?? 'unset'}, not under the writable /tmp`);
    }
  });

  it('does not get Service links in its environment', () => {
    // A Service named "message" would otherwise put MESSAGE_PORT=tcp://<ip>:8001 in every pod.
    check(podSpec(m).enableServiceLinks === false, where, 'does not set enableServiceLinks: false');
  });

  it('gets every variable its config needs in production', () => {
    const config = configOf(m);
    check(config.production, where, 'does not run with NODE_ENV=production');
    check(config.auth.jwtSecret || config.auth.jwksUrl, where, 'has neither JWT_SECRET nor JWKS_URL');
    const script = scriptOf(m);
    if (script === 'migrate' || SUBGRAPHS.some((s) => script === `start:${s}`)) {
      // createServiceDeps and prisma/migrate.ts refuse to start without it.
      check(config.databaseUrl, where, 'has no DATABASE_URL');
    }
    if (script.startsWith('start:')) {
      // Without Redis, live events, caches and rate limits would not cross replicas.
      check(config.redisUrl, where, 'has no REDIS_URL');
    }
    if (script === 'start:gateway') {
      check(['0.0.0.0', '::'].includes(config.gateway.host), where, `the gateway listens on ${config.gateway.host}: probes and Services reach the pod IP`);
      check(config.gateway.port === resolvePort(m, 'http', 'the http port'), where, `GATEWAY_PORT ${config.gateway.port} is not the container port`);
    } else if (script.startsWith('start:')) {
      const service = script.slice('start:'.length) as (typeof SUBGRAPHS)[number];
      check(['0.0.0.0', '::'].includes(config.subgraphHost), where, `SUBGRAPH_HOST is ${config.subgraphHost}: probes and Services reach the pod IP`);
      check(config.subgraphs[service].port === resolvePort(m, 'http', 'the http port'), where, `the ${service} port in its config (${config.subgraphs[service].port}) is not the container port`);
    }
  });
});

describe('Services', () => {
  it.each(k8sServices.map((m) => [m.where, m] as const))('%s selects one Deployment and targets its container ports', (_where, m) => {
    const selected = deployments.filter((d) => selects(m.obj.spec.selector, podLabels(d)));
    check(selected.length === 1, m.where, `selects ${selected.length} Deployments (${selected.map((d) => d.where).join(', ') || 'none'})`);
    for (const port of m.obj.spec.ports ?? []) {
      resolvePort(selected[0], port.targetPort ?? port.port, `${m.where} port ${port.name ?? port.port}`);
    }
    const exposed = m.obj.spec.type && m.obj.spec.type !== 'ClusterIP';
    check(!exposed || serviceOf(selected[0]) === 'gateway', m.where, `is of type ${m.obj.spec.type}: only the gateway may be exposed`);
  });

  it("the gateway's subgraph URLs name existing Services, on ports that reach the right subgraph", () => {
    const gateway = deployments.find((d) => serviceOf(d) === 'gateway')!;
    const config = configOf(gateway);
    for (const name of SUBGRAPHS) {
      const url = new URL(config.subgraphs[name].url);
      const what = `${gateway.where}: ${name} URL ${url.href}`;
      check(url.pathname === '/graphql', what, 'does not end in /graphql');
      check(!/^[\d.]+$|^\[|^localhost$/.test(url.hostname), what, `is not a Service DNS name: set ${name.toUpperCase()}_URL in the ConfigMap`);
      const [host, ns] = url.hostname.split('.');
      check(ns === undefined || ns === namespaceName, what, `points into namespace ${ns}, not ${namespaceName}`);
      const service = byName('Service', host, what);
      const port = Number(url.port || 80);
      const servicePort = (service.obj.spec.ports ?? []).find((p: { port: number }) => p.port === port);
      check(servicePort, what, `uses port ${port}, which ${service.where} does not have`);
      const target = deployments.find((d) => selects(service.obj.spec.selector, podLabels(d)));
      check(target && serviceOf(target) === name, what, `reaches ${target?.where ?? 'no Deployment'}, not the ${name} subgraph`);
      const targetPort = resolvePort(target, servicePort.targetPort ?? servicePort.port, `${service.where} port ${port}`);
      check(targetPort === configOf(target).subgraphs[name].port, what, `lands on port ${targetPort}, where ${name} does not listen`);
    }
  });

  it.each(ofKind('Ingress').map((m) => [m.where, m] as const))('%s routes to the gateway Service', (_where, m) => {
    for (const rule of m.obj.spec.rules ?? []) {
      for (const p of rule.http?.paths ?? []) {
        const backend = p.backend.service;
        const service = byName('Service', backend.name, m.where);
        const port = (service.obj.spec.ports ?? []).find((sp: { name?: string; port: number }) => sp.name === backend.port.name || sp.port === backend.port.number);
        check(port, m.where, `routes to a port ${JSON.stringify(backend.port)} that ${service.where} does not have`);
        const target = deployments.find((d) => selects(service.obj.spec.selector, podLabels(d)));
        check(target && serviceOf(target) === 'gateway', m.where, 'routes to something other than the gateway');
      }
    }
  });
});

describe('autoscaling and disruption budgets', () => {
  const hpas = ofKind('HorizontalPodAutoscaler');
  const pdbs = ofKind('PodDisruptionBudget');

  it.each(hpas.map((m) => [m.where, m] as const))('%s scales an existing Deployment that leaves replicas to it', (_where, m) => {
    const ref = m.obj.spec.scaleTargetRef;
    check(ref.kind === 'Deployment' && ref.apiVersion === 'apps/v1', m.where, `targets ${ref.apiVersion} ${ref.kind}, not an apps/v1 Deployment`);
    const target = byName('Deployment', ref.name, m.where);
    check(m.obj.spec.minReplicas >= 2, m.where, `minReplicas ${m.obj.spec.minReplicas}: one pod is a single point of failure`);
    check(m.obj.spec.maxReplicas >= m.obj.spec.minReplicas, m.where, 'maxReplicas below minReplicas');
    check(target.obj.spec.replicas === undefined, target.where, 'sets replicas although an HPA scales it: every kubectl apply would reset the count');
    for (const metric of m.obj.spec.metrics ?? []) {
      if (metric.type === 'Resource' && metric.resource.target.type === 'Utilization') {
        const requested = mainContainer(target).resources?.requests?.[metric.resource.name];
        check(requested !== undefined, target.where, `has no ${metric.resource.name} request, which ${m.where} measures utilization against`);
      }
    }
  });

  it('the gateway and the message subgraph are autoscaled', () => {
    for (const service of ['gateway', 'message'] as const) {
      const deployment = deployments.find((d) => serviceOf(d) === service)!;
      check(hpas.some((h) => h.obj.spec.scaleTargetRef.name === deployment.obj.metadata.name), deployment.where, 'has no HorizontalPodAutoscaler');
    }
  });

  it.each(pdbs.map((m) => [m.where, m] as const))('%s covers one Deployment and lets a drain proceed', (_where, m) => {
    const selected = deployments.filter((d) => selects(m.obj.spec.selector?.matchLabels, podLabels(d)));
    check(selected.length === 1, m.where, `selects ${selected.length} Deployments`);
    const target = selected[0];
    const hpa = hpas.find((h) => h.obj.spec.scaleTargetRef.name === target.obj.metadata.name);
    const replicas: number = hpa ? hpa.obj.spec.minReplicas : (target.obj.spec.replicas ?? 1);
    check(replicas >= 2, target.where, `runs ${replicas} replica(s): a disruption budget would block every node drain, or allow an outage`);
    const { minAvailable, maxUnavailable } = m.obj.spec;
    check((minAvailable === undefined) !== (maxUnavailable === undefined), m.where, 'sets both or neither of minAvailable and maxUnavailable');
    if (minAvailable !== undefined) check(typeof minAvailable === 'number' && minAvailable < replicas, m.where, `minAvailable ${minAvailable} blocks every eviction at ${replicas} replicas`);
    if (maxUnavailable !== undefined) check(typeof maxUnavailable !== 'number' || maxUnavailable >= 1, m.where, 'maxUnavailable 0 blocks every eviction');
  });

  it('every Deployment has a disruption budget', () => {
    for (const d of deployments) {
      check(pdbs.some((p) => selects(p.obj.spec.selector?.matchLabels, podLabels(d))), d.where, 'has no PodDisruptionBudget');
    }
  });
});

describe('the migration Job', () => {
  it('runs `npm run migrate` once, retried a few times, cleaned up after', () => {
    const migrations = jobs.filter((j) => scriptOf(j) === 'migrate');
    check(migrations.length === 1, 'deploy/k8s', `has ${migrations.length} Jobs running npm run migrate`);
    const job = migrations[0];
    check(Number.isInteger(job.obj.spec.backoffLimit) && job.obj.spec.backoffLimit >= 1, job.where, 'has no backoffLimit');
    check(Number.isInteger(job.obj.spec.ttlSecondsAfterFinished), job.where, 'has no ttlSecondsAfterFinished');
    check(['Never', 'OnFailure'].includes(podSpec(job).restartPolicy), job.where, 'restartPolicy must be Never or OnFailure');
    const r = mainContainer(job).resources ?? {};
    check(r.requests?.memory && r.limits?.memory && r.limits?.cpu, job.where, 'has no resource requests and limits');
  });
});
