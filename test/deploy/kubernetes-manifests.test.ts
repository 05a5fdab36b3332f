/**
 * The Kubernetes manifests in deploy/k8s, checked offline: every document against the Kubernetes
 * OpenAPI schema of its kind (kubernetes-models bundles the schemas), then what a schema cannot
 * see: that each process has its Deployment, Service, probes on its real health endpoints,
 * resources and a disruption budget, that names and selectors meet, and that the stores keep
 * their data.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from '@jest/globals';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_PORTS } from '../../lib/addresses.js';
import { ROOT, SERVICES, type ServiceName } from '../../scripts/services.js';

const DIR = path.join(ROOT, 'deploy/k8s');

/** The kinds the manifests use, each with its schema. */
const KINDS = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
} as const;

interface Manifest {
  file: string;
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  /** Read as parsed YAML; the schema check above is what types it. */
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

function load(): Manifest[] {
  return readdirSync(DIR)
    .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
    .flatMap((file) =>
      parseAllDocuments(readFileSync(path.join(DIR, file), 'utf8')).map((document) => {
        assert.deepEqual(document.errors, [], `${file} is valid YAML`);
        return { file, ...(document.toJS() as Omit<Manifest, 'file'>) };
      }),
    );
}

/** Validates one document against its kind's schema; throws what is wrong. */
function validate(manifest: Omit<Manifest, 'file'>): void {
  const Model = KINDS[`${manifest.apiVersion}/${manifest.kind}` as keyof typeof KINDS];
  if (!Model) throw new Error(`no schema for ${manifest.apiVersion} ${manifest.kind}`);
  new (Model as new (data: unknown) => { validate(): void })(manifest).validate();
}

const manifests = load();
const find = (kind: string, name: string) => manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);
const PROCESSES = Object.keys(SERVICES) as ServiceName[];

describe('the Kubernetes manifests', () => {
  test('every document is valid against the Kubernetes schema of its kind', () => {
    assert.ok(manifests.length > 20);
    for (const { file, ...manifest } of manifests) {
      assert.doesNotThrow(() => validate(manifest), `${file}: ${manifest.kind} ${manifest.metadata.name}`);
    }
  });

  test('the schema check refuses a broken document', () => {
    const deployment = find('Deployment', 'gateway');
    assert.ok(deployment);
    const { file: _file, ...broken } = structuredClone(deployment);
    broken.spec.replicas = 'two';
    delete broken.spec.template.spec.containers[0].name;
    assert.throws(
      () => validate(broken),
      (error: Error) => /replicas must be integer/.test(error.message) && /must have required property name/.test(error.message),
    );
  });

  test('kustomization.yaml lists exactly the manifest files', () => {
    const kustomization = parseAllDocuments(readFileSync(path.join(DIR, 'kustomization.yaml'), 'utf8'))[0]?.toJS() as { resources: string[] };
    assert.deepEqual([...kustomization.resources].sort(), [...new Set(manifests.map((manifest) => manifest.file))].sort());
  });

  for (const name of PROCESSES) {
    test(`${name}: a Deployment that runs the built entry, with probes on its health endpoints, resources and settings`, () => {
      const deployment = find('Deployment', name);
      assert.ok(deployment, `a Deployment named ${name}`);
      const pod = deployment.spec.template.spec;
      const [container] = pod.containers;
      assert.deepEqual(container.command, ['node', `dist/${SERVICES[name].entry.replace(/\.ts$/, '.js')}`]);
      assert.deepEqual(container.ports, [{ name: 'http', containerPort: DEFAULT_PORTS[name] }]);
      assert.deepEqual(container.readinessProbe.httpGet, { path: '/health/ready', port: 'http' });
      assert.deepEqual(container.livenessProbe.httpGet, { path: '/health/live', port: 'http' });
      for (const kind of ['requests', 'limits']) {
        assert.ok(container.resources[kind].cpu && container.resources[kind].memory, `${kind} for cpu and memory`);
      }
      assert.deepEqual(container.envFrom, [{ configMapRef: { name: 'bakery-config' } }, { secretRef: { name: 'bakery-secrets' } }]);
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.deepEqual(deployment.spec.strategy.rollingUpdate, { maxSurge: 1, maxUnavailable: 0 });
      assert.deepEqual(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels);
    });

    test(`${name}: a Service on its port, selecting its pods, and a disruption budget`, () => {
      const deployment = find('Deployment', name);
      const service = find('Service', name);
      const budget = find('PodDisruptionBudget', name);
      assert.ok(deployment && service && budget);
      assert.deepEqual(service.spec.selector, deployment.spec.template.metadata.labels);
      assert.deepEqual(service.spec.ports, [{ name: 'http', port: DEFAULT_PORTS[name], targetPort: 'http' }]);
      assert.deepEqual(budget.spec.selector.matchLabels, deployment.spec.template.metadata.labels);
      assert.ok(budget.spec.minAvailable < deployment.spec.replicas, 'the budget leaves room to drain a node');
    });
  }

  test('the gateway and the order subgraph scale on CPU with a HorizontalPodAutoscaler', () => {
    for (const name of ['gateway', 'order']) {
      const autoscaler = find('HorizontalPodAutoscaler', name);
      assert.ok(autoscaler, `an HPA for ${name}`);
      assert.deepEqual(autoscaler.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name });
      assert.ok(autoscaler.spec.minReplicas >= 2 && autoscaler.spec.maxReplicas > autoscaler.spec.minReplicas);
    }
  });

  test('the ConfigMap sets only known variables and points at the services by their Service names', () => {
    const config = find('ConfigMap', 'bakery-config');
    assert.ok(config?.data);
    const known = new Set([...readFileSync(path.join(ROOT, '.env.example'), 'utf8').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map(([, name]) => name));
    for (const key of Object.keys(config.data)) assert.ok(known.has(key), `${key} is a variable the processes read (.env.example)`);
    for (const name of ['stock', 'order', 'payment', 'delivery'] as const) {
      assert.equal(config.data[`${name.toUpperCase()}_URL`], `http://${name}:${DEFAULT_PORTS[name]}/graphql`);
    }
    assert.equal(config.data['NODE_ENV'], 'production');
    const secret = find('Secret', 'bakery-secrets');
    assert.deepEqual(secret?.stringData, { JWT_SECRET: '', SERVICE_JWT_SECRET: '' }, 'no secret value is committed');
  });

  test('MongoDB and Redis keep their data on volumes, and Redis keeps every key (AOF, noeviction)', () => {
    for (const name of ['mongo', 'redis']) {
      const set = find('StatefulSet', name);
      assert.ok(set, `a StatefulSet for ${name}`);
      const [claim] = set.spec.volumeClaimTemplates;
      assert.ok(claim.spec.resources.requests.storage);
      assert.ok(set.spec.template.spec.containers[0].volumeMounts.some((mount: { name: string }) => mount.name === claim.metadata.name));
      assert.ok(find('Service', name), `a Service for ${name}`);
    }
    const args: string[] = find('StatefulSet', 'redis')?.spec.template.spec.containers[0].args;
    assert.equal(args[args.indexOf('--appendonly') + 1], 'yes');
    assert.equal(args[args.indexOf('--maxmemory-policy') + 1], 'noeviction');
  });
});
