/**
 * deploy/kubernetes renders with `kubectl kustomize` (offline) into what each role needs, and the settings its
 * containers set are accepted by Tollgate's own settings loader. The hybrid overlay is rendered from a copy with
 * a cluster certificate made by `bin/tollgate hybrid gen_cert`, as its instructions say. No API server runs
 * here: the manifests are checked as rendered, not applied. The Dockerfile cannot be built either (no container
 * registry is reachable), so only its structure is checked.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { loadSettings } from '../src/config/index.ts';
import { ROOT, runTollgate } from './helpers/tollgate.ts';

/** A parsed manifest: any shape, read field by field. */
type Obj = Record<string, any>;

function render(dir: string): Obj[] {
  const text = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  return loadAll(text) as Obj[];
}

function find(objects: Obj[], kind: string, name: string): Obj {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found, `${kind} ${name} is rendered`);
  return found;
}

function container(deployment: Obj): Obj {
  return deployment.spec.template.spec.containers[0];
}

function envOf(c: Obj): { get(name: string): Obj } {
  const byName = new Map((c.env as Obj[]).map((e) => [e.name as string, e]));
  return {
    get(name) {
      const e = byName.get(name);
      assert.ok(e, `${name} is set`);
      return e;
    },
  };
}

/** The container's TOLLGATE_* settings with secrets given stand-in values and mounted files pointed at `files`. */
function settingsEnv(c: Obj, files: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.env as Obj[]) {
    let value = e.value as string | undefined;
    // The pod's own fields (fieldRef: namespace, name) are stand-ins too.
    if (value === undefined) value = e.valueFrom.secretKeyRef?.key === 'port' ? '5432' : 'stand-in';
    env[e.name] = files[value] ?? value;
  }
  return env;
}

function checkHardened(pod: Obj, c: Obj): void {
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.notEqual(pod.securityContext.runAsUser, 0);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
  assert.ok(c.resources.requests.cpu && c.resources.limits.memory, 'requests and limits');
  // A read-only root filesystem: the prefix must be a writable volume.
  const prefix = envOf(c).get('TOLLGATE_PREFIX').value;
  assert.ok((c.volumeMounts as Obj[]).some((m) => m.mountPath === prefix && !m.readOnly), 'the prefix is a mounted volume');
}

describe('hybrid overlay', () => {
  let work: string;
  let objects: Obj[];
  let files: Record<string, string>;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'tollgate-k8s-'));
    cpSync(join(ROOT, 'deploy'), join(work, 'deploy'), { recursive: true });
    const overlay = join(work, 'deploy', 'kubernetes', 'overlays', 'hybrid');
    const gen = await runTollgate(['hybrid', 'gen_cert', join(overlay, 'cluster.crt'), join(overlay, 'cluster.key')]);
    assert.equal(gen.code, 0, gen.stderr);
    objects = render(overlay);
    files = { '/etc/tollgate/cluster/tls.crt': join(overlay, 'cluster.crt'), '/etc/tollgate/cluster/tls.key': join(overlay, 'cluster.key') };
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test("Kong's custom resources are served under Kong's group, so KIC users' objects apply", () => {
    const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
    const kinds = new Map<string, Obj>(crds.map((c) => [c.spec.names.kind, c]));
    for (const kind of ['KongPlugin', 'KongClusterPlugin', 'KongConsumer', 'KongConsumerGroup', 'KongIngress', 'KongUpstreamPolicy', 'TCPIngress', 'UDPIngress']) {
      const crd = kinds.get(kind);
      assert.ok(crd, kind);
      assert.equal(crd.spec.group, 'configuration.konghq.com');
      assert.ok(crd.spec.versions.some((v: Obj) => v.served && v.storage));
    }
    assert.equal(kinds.get('KongClusterPlugin')?.spec.scope, 'Cluster');
    assert.equal(kinds.get('KongPlugin')?.spec.versions[0].name, 'v1');
    assert.equal(kinds.get('KongUpstreamPolicy')?.spec.versions[0].name, 'v1beta1');
  });

  test('the cluster certificate is a Secret made from gen_cert\'s files, mounted by both roles', () => {
    const secret = objects.find((o) => o.kind === 'Secret' && String(o.metadata.name).startsWith('tollgate-cluster-cert'));
    assert.ok(secret);
    assert.equal(secret.type, 'kubernetes.io/tls');
    const dir = Object.values(files)[0].replace(/cluster\.crt$/, '');
    assert.equal(Buffer.from(secret.data['tls.crt'], 'base64').toString(), readFileSync(join(dir, 'cluster.crt'), 'utf8'));
    for (const name of ['tollgate-control-plane', 'tollgate-data-plane']) {
      const volumes = find(objects, 'Deployment', name).spec.template.spec.volumes as Obj[];
      assert.equal(volumes.find((v) => v.name === 'cluster-cert')?.secret.secretName, secret.metadata.name);
    }
  });

  test('the control plane: PostgreSQL from a Secret, no proxy, probes, RBAC, migrations', () => {
    const cp = find(objects, 'Deployment', 'tollgate-control-plane');
    const c = container(cp);
    const env = envOf(c);
    assert.equal(env.get('TOLLGATE_ROLE').value, 'control_plane');
    assert.equal(env.get('TOLLGATE_DATABASE').value, 'postgres');
    for (const key of ['HOST', 'PORT', 'USER', 'PASSWORD', 'DATABASE']) assert.equal(env.get(`TOLLGATE_PG_${key}`).valueFrom.secretKeyRef.name, 'tollgate-postgres');
    assert.equal(env.get('TOLLGATE_PROXY_LISTEN').value, 'off');
    assert.equal(c.readinessProbe.httpGet.path, '/status/ready');
    assert.equal(c.livenessProbe.httpGet.path, '/status');
    checkHardened(cp.spec.template.spec, c);
    assert.equal(cp.spec.template.spec.serviceAccountName, 'tollgate-control-plane');
    const role = find(objects, 'ClusterRole', 'tollgate-control-plane');
    const rules = role.rules as Obj[];
    assert.ok(rules.some((r) => r.apiGroups.includes('networking.k8s.io') && r.resources.includes('ingresses') && r.verbs.includes('watch')));
    assert.ok(rules.some((r) => r.apiGroups.includes('configuration.konghq.com') && r.resources.includes('kongplugins')));
    assert.ok(rules.some((r) => r.apiGroups.includes('discovery.k8s.io') && r.resources.includes('endpointslices')));
    assert.ok(find(objects, 'Role', 'tollgate-leader-election').rules[0].resources.includes('leases'));
    const job = find(objects, 'Job', 'tollgate-migrations');
    assert.match(container({ spec: job.spec }).command.join(' '), /tollgate migrations bootstrap \|\| \/app\/bin\/tollgate migrations up/);
    const cluster = find(objects, 'Service', 'tollgate-cluster');
    assert.deepEqual((cluster.spec.ports as Obj[]).map((p) => p.port).sort(), [8005, 8006]);
    find(objects, 'Service', 'tollgate-admin');
    // What the container sets is what Tollgate accepts.
    const settings = loadSettings({ env: settingsEnv(c, files) });
    assert.equal(settings.role, 'control_plane');
    assert.deepEqual(settings.cluster_listeners.map((l) => l.port), [8005]);
    // It runs the ingress controller, whose RBAC (Events, Ingress status, Leases) is in rbac.yaml.
    assert.equal(settings.ingress_controller, true);
    assert.equal(settings.ingress_class, 'kong');
  });

  test('the data planes: DB-less, pointed at the control plane, autoscaled, drained, hardened', () => {
    const dp = find(objects, 'Deployment', 'tollgate-data-plane');
    const c = container(dp);
    const env = envOf(c);
    assert.equal(env.get('TOLLGATE_ROLE').value, 'data_plane');
    assert.equal(env.get('TOLLGATE_CLUSTER_CONTROL_PLANE').value, 'tollgate-cluster.tollgate.svc:8005');
    assert.equal(c.readinessProbe.httpGet.path, '/status/ready');
    assert.equal(c.livenessProbe.httpGet.path, '/status');
    assert.match(c.lifecycle.preStop.exec.command.join(' '), /tollgate drain; sleep \d+/, 'preStop drains, then waits for the endpoints to drop the pod');
    checkHardened(dp.spec.template.spec, c);
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'tollgate-data-plane');
    assert.equal(hpa.spec.scaleTargetRef.name, 'tollgate-data-plane');
    assert.equal(hpa.spec.metrics[0].resource.name, 'cpu');
    assert.equal(find(objects, 'PodDisruptionBudget', 'tollgate-data-plane').spec.minAvailable, 1);
    const proxy = find(objects, 'Service', 'tollgate-proxy');
    assert.deepEqual((proxy.spec.ports as Obj[]).map((p) => [p.port, p.targetPort]), [[80, 'proxy'], [443, 'proxy-tls']]);
    const monitor = find(objects, 'ServiceMonitor', 'tollgate-data-plane');
    assert.equal(monitor.spec.endpoints[0].path, '/metrics');
    const statusService = find(objects, 'Service', 'tollgate-data-plane-status');
    assert.equal(statusService.metadata.labels['tollgate.io/metrics'], 'true');
    const settings = loadSettings({ env: settingsEnv(c, files) });
    assert.equal(settings.role, 'data_plane');
    assert.equal(settings.database, 'off');
    assert.deepEqual(settings.proxy_listeners.map((l) => [l.port, l.ssl]), [[8000, false], [8443, true]]);
  });

  test('network policies open only what each role needs', () => {
    const cp = find(objects, 'NetworkPolicy', 'tollgate-control-plane');
    const cpPorts = (cp.spec.ingress as Obj[]).flatMap((rule) => (rule.ports as Obj[]).map((p) => p.port)).sort();
    assert.deepEqual(cpPorts, [8001, 8005, 8006, 8100]);
    const adminRule = (cp.spec.ingress as Obj[]).find((rule) => rule.ports.some((p: Obj) => p.port === 8001));
    assert.equal(adminRule?.from[0].podSelector.matchLabels['tollgate.io/admin-client'], 'true');
    const clusterRule = (cp.spec.ingress as Obj[]).find((rule) => rule.ports.some((p: Obj) => p.port === 8005));
    assert.equal(clusterRule?.from[0].podSelector.matchLabels['app.kubernetes.io/component'], 'data-plane');
    assert.ok(cp.spec.policyTypes.includes('Egress'));
    const dp = find(objects, 'NetworkPolicy', 'tollgate-data-plane');
    const dpPorts = (dp.spec.ingress as Obj[]).flatMap((rule) => (rule.ports as Obj[]).map((p) => p.port)).sort();
    assert.deepEqual(dpPorts, [8000, 8100, 8443]);
  });

  test('every namespaced object lands in the tollgate namespace', () => {
    for (const o of objects) {
      if (['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind)) continue;
      assert.equal(o.metadata.namespace, 'tollgate', `${o.kind} ${o.metadata.name}`);
    }
  });
});

describe('DB-less overlay', () => {
  test('one Deployment serving the ConfigMap\'s declarative file, which Tollgate accepts', async () => {
    const objects = render(join(ROOT, 'deploy', 'kubernetes', 'overlays', 'dbless'));
    const deployment = objects.find((o) => o.kind === 'Deployment');
    assert.ok(deployment);
    assert.equal(objects.filter((o) => o.kind === 'Deployment').length, 1);
    const c = container(deployment);
    const env = envOf(c);
    assert.equal(env.get('TOLLGATE_DATABASE').value, 'off');
    assert.equal(env.get('TOLLGATE_ADMIN_LISTEN').value, '127.0.0.1:8001');
    checkHardened(deployment.spec.template.spec, c);
    const configMap = objects.find((o) => o.kind === 'ConfigMap');
    assert.ok(configMap);
    const volume = (deployment.spec.template.spec.volumes as Obj[]).find((v) => v.name === 'config');
    assert.equal(volume?.configMap.name, configMap.metadata.name);
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-k8s-dbless-'));
    try {
      const file = join(dir, 'tollgate.yml');
      writeFileSync(file, configMap.data['tollgate.yml']);
      const parsed = await runTollgate(['config', 'parse', file]);
      assert.equal(parsed.code, 0, parsed.stderr);
      const settings = loadSettings({ env: settingsEnv(c, { '/etc/tollgate/config/tollgate.yml': file }) });
      assert.equal(settings.declarative_config, file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('the Dockerfile builds in stages and runs Node 24 as a non-root user', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const stages = text.match(/^FROM .*/gm) ?? [];
  assert.ok(stages.length >= 2, 'multi-stage');
  assert.match(stages[0] ?? '', /node:24/);
  assert.match(text, /npm ci --omit=dev/);
  const user = /^USER (\S+)/m.exec(text);
  assert.ok(user !== null && !/^(0|root)(:|$)/.test(user[1]), 'a non-root USER');
  assert.match(text, /^ENTRYPOINT \["\/app\/bin\/tollgate"\]/m);
});
