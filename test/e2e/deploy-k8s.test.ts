// deploy/k8s: render the dev and prod overlays with `kubectl kustomize` (offline, no cluster), validate
// every object against the Kubernetes OpenAPI schema through kubernetes-models, and check the
// properties that matter: the Kubernetes executor's settings, limited RBAC, replicas, agent egress, pod
// security, no real secrets, and that a run Job the executor builds fits what the manifests allow.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { readControllerEnv } from '../../services/controller/src/config.js';
import { buildRunJob, buildRunTokenSecret } from '../../services/controller/src/executors/kubernetes/build-job.js';
import { runTokenSecretName } from '../../services/controller/src/executors/kubernetes/names.js';
import { validateStudySpec } from '../../services/controller/src/spec/load-study-folder.js';
import { SURROGATE_SPEC } from '../support/study-folder.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const KUBECTL = process.env.KUBECTL ?? 'kubectl';

type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
};
type ModelClass = new (data: any) => { validate(): void };

// Every kind the manifests may contain; a kind missing here fails the test (it cannot be validated).
const MODELS: Record<string, ModelClass> = {
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
};

function requireKubectl(): void {
  const probe = spawnSync(KUBECTL, ['version', '--client'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    assert.fail(
      `kubectl is required to render deploy/k8s (\`kubectl kustomize\`, offline) but \`${KUBECTL} version --client\` failed: ` +
        `${probe.error?.message ?? probe.stderr}. Install kubectl (or set KUBECTL to its path).`,
    );
  }
}

function render(dir: string): K8sObject[] {
  const out = execFileSync(KUBECTL, ['kustomize', dir], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const docs = parseAllDocuments(out);
  const objects: K8sObject[] = [];
  for (const doc of docs) {
    assert.equal(doc.errors.length, 0, `YAML error in rendered ${dir}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS() as K8sObject | null;
    if (value) objects.push(value);
  }
  return objects;
}

const find = (objects: K8sObject[], kind: string, name: string, namespace?: string): K8sObject => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace));
  assert.ok(found, `no ${kind} ${namespace ? `${namespace}/` : ''}${name} in the rendered manifests`);
  return found;
};

type Any = any;

const podSpecOf = (o: K8sObject): Any => (o as Any).spec.template.spec;

/** The controller container of the rendered Deployment. */
const controllerContainer = (objects: K8sObject[]): Any =>
  (find(objects, 'Deployment', 'autoresearch-controller', 'autoresearch') as Any).spec.template.spec.containers[0];

/**
 * The environment the controller process sees: its ConfigMap, then its literal env entries (which win),
 * plus what Kubernetes injects into every pod. Secret and field references are left out.
 */
function controllerProcessEnv(objects: K8sObject[]): Record<string, string> {
  const container = controllerContainer(objects);
  const env: Record<string, string> = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
  for (const source of container.envFrom ?? []) {
    Object.assign(env, (find(objects, 'ConfigMap', source.configMapRef.name, 'autoresearch') as Any).data);
  }
  for (const entry of container.env ?? []) if (typeof entry.value === 'string') env[entry.name] = entry.value;
  return env;
}

/** The Service an in-cluster URL names (`name.namespace.svc[.cluster.local]:port`), and the port it uses. */
function serviceOf(objects: K8sObject[], rawUrl: string, defaultPort: number): { service: Any; port: Any } {
  const url = new URL(rawUrl);
  const match = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?$/.exec(url.hostname);
  assert.ok(match, `${rawUrl} names a Service as <name>.<namespace>.svc`);
  const service = find(objects, 'Service', match[1]!, match[2]!) as Any;
  const portNumber = Number(url.port || defaultPort);
  const port = service.spec.ports.find((p: Any) => p.port === portNumber);
  assert.ok(port, `Service ${match[2]}/${match[1]} has no port ${portNumber} (${rawUrl})`);
  return { service, port };
}

/** The Pod Security Standards `restricted` profile, as far as a pod spec shows it. */
function assertRestricted(spec: Any, label: string): void {
  const allowedVolumes = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
  for (const volume of spec.volumes ?? []) {
    const kinds = Object.keys(volume).filter((k) => k !== 'name');
    assert.ok(kinds.every((k) => allowedVolumes.includes(k)), `${label}: volume ${volume.name} is ${kinds.join(', ')}`);
  }
  for (const key of ['hostNetwork', 'hostPID', 'hostIPC']) assert.notEqual(spec[key], true, `${label}: ${key}`);
  assert.equal(spec.securityContext?.runAsNonRoot, true, `${label}: runAsNonRoot`);
  assert.ok(spec.securityContext?.runAsUser > 0, `${label}: runAsUser is not root`);
  assert.equal(spec.securityContext?.seccompProfile?.type, 'RuntimeDefault', `${label}: seccomp`);
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${label}/${c.name}: allowPrivilegeEscalation`);
    assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${label}/${c.name}: drops ALL capabilities`);
    assert.deepEqual(c.securityContext?.capabilities?.add ?? [], [], `${label}/${c.name}: adds no capability`);
    assert.notEqual(c.securityContext?.privileged, true, `${label}/${c.name}: privileged`);
    assert.notEqual(c.securityContext?.runAsUser, 0, `${label}/${c.name}: runs as root`);
    assert.ok(!(c.ports ?? []).some((p: Any) => p.hostPort), `${label}/${c.name}: hostPort`);
  }
}

const overlays = ['dev', 'prod'] as const;

describe('deploy/k8s overlays', () => {
  const rendered = new Map<string, K8sObject[]>();

  before(() => {
    requireKubectl();
    for (const overlay of overlays) rendered.set(overlay, render(join(repoRoot, 'deploy/k8s/overlays', overlay)));
  });

  for (const overlay of overlays) {
    describe(overlay, () => {
      const objects = () => rendered.get(overlay) ?? assert.fail(`${overlay} was not rendered`);

      it('validates every object against the Kubernetes OpenAPI schema', () => {
        const kinds = new Set<string>();
        for (const o of objects()) {
          const key = `${o.apiVersion}/${o.kind}`;
          const Model = MODELS[key];
          assert.ok(Model, `${key} (${o.metadata?.name}) has no kubernetes-models class in this test: it cannot be validated`);
          assert.ok(o.metadata?.name, `${key} without metadata.name`);
          try {
            new Model(o).validate();
          } catch (error) {
            assert.fail(`${key} ${o.metadata.namespace ?? ''}/${o.metadata.name} is invalid: ${(error as Error).message}`);
          }
          kinds.add(o.kind);
        }
        for (const kind of ['Namespace', 'Deployment', 'StatefulSet', 'Service', 'Secret', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding', 'NetworkPolicy', 'PodDisruptionBudget', 'ServiceAccount']) {
          assert.ok(kinds.has(kind), `no ${kind} rendered`);
        }
        // Namespaced objects name their namespace; only the two namespaces exist.
        const namespaces = objects().filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name).sort();
        assert.deepEqual(namespaces, ['autoresearch', 'autoresearch-experiments']);
        for (const o of objects()) {
          if (['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind)) continue;
          assert.ok(o.metadata.namespace && namespaces.includes(o.metadata.namespace), `${o.kind}/${o.metadata.name} has namespace ${o.metadata.namespace}`);
        }
      });

      it('runs the controller with the expected replicas, command, env and probes', () => {
        const deployment = find(objects(), 'Deployment', 'autoresearch-controller', 'autoresearch') as Any;
        assert.equal(deployment.spec.replicas, overlay === 'prod' ? 2 : 1);
        const container = deployment.spec.template.spec.containers[0];
        // Appended to the image's `node bin/autoresearch.js serve`.
        assert.deepEqual(container.args, ['--executor', 'kubernetes', '--host', '0.0.0.0', '--port', '8420']);
        assert.equal(container.command, undefined, 'the image entrypoint (`serve`) is kept');
        assert.equal(container.readinessProbe.httpGet.path, '/readyz');
        assert.equal(container.livenessProbe.httpGet.path, '/healthz');
        assert.ok(container.resources.requests.cpu && container.resources.limits.memory, 'controller resources are set');
        const env = new Map<string, Any>(container.env.map((e: Any) => [e.name, e]));
        assert.equal(env.get('AUTORESEARCH_CONTROLLER_ID')?.valueFrom?.fieldRef?.fieldPath, 'metadata.name');
        assert.equal(env.get('DATABASE_URL')?.valueFrom?.secretKeyRef?.name, 'autoresearch-secrets');
        const config = find(objects(), 'ConfigMap', container.envFrom[0].configMapRef.name, 'autoresearch') as Any;
        assert.equal(config.data.NATS_URL, 'nats://nats.autoresearch.svc:4222');
        assert.equal(deployment.spec.template.spec.serviceAccountName, 'autoresearch-controller');

        const service = find(objects(), 'Service', 'autoresearch-controller', 'autoresearch') as Any;
        assert.equal(service.spec.ports[0].port, 8420);
        assert.equal(service.metadata.annotations['prometheus.io/scrape'], 'true');
        assert.equal(service.metadata.annotations['prometheus.io/path'], '/metrics');
        const pdb = find(objects(), 'PodDisruptionBudget', 'autoresearch-controller', 'autoresearch') as Any;
        if (overlay === 'prod') {
          assert.equal(pdb.spec.minAvailable, 1);
          const antiAffinity = deployment.spec.template.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
          assert.equal(antiAffinity?.[0]?.topologyKey, 'kubernetes.io/hostname', 'prod controllers are spread across nodes');
        }
      });

      it('configures the Kubernetes executor: namespace, agent URLs, start timeout, GPU pool', () => {
        const config = find(objects(), 'ConfigMap', 'autoresearch-config', 'autoresearch') as Any;
        assert.equal(config.data.AUTORESEARCH_EXECUTOR, 'kubernetes');
        assert.equal(config.data.AUTORESEARCH_K8S_NAMESPACE, 'autoresearch-experiments');
        assert.equal(config.data.AUTORESEARCH_K8S_START_TIMEOUT_SECONDS, '600');
        assert.equal(config.data.AUTORESEARCH_K8S_ON_START_TIMEOUT, 'retry');

        // The controller URL agents get is the controller Service, on the port the controller listens on.
        const controllerUrl = new URL(config.data.AUTORESEARCH_AGENT_CONTROLLER_URL);
        assert.equal(controllerUrl.protocol, 'http:');
        const { service, port } = serviceOf(objects(), config.data.AUTORESEARCH_AGENT_CONTROLLER_URL, 80);
        assert.equal(service.metadata.name, 'autoresearch-controller');
        assert.equal(service.metadata.namespace, 'autoresearch');
        assert.equal(port.port, 8420);
        const container = controllerContainer(objects());
        const containerPort = container.ports.find((p: Any) => p.name === port.targetPort || p.containerPort === port.targetPort);
        assert.equal(containerPort?.containerPort, 8420, 'the Service targets the controller container port');
        assert.equal(container.args[container.args.indexOf('--port') + 1], '8420', 'the controller listens on the port the Service targets');
        const deployment = find(objects(), 'Deployment', 'autoresearch-controller', 'autoresearch') as Any;
        for (const [key, value] of Object.entries<string>(service.spec.selector)) {
          assert.equal(deployment.spec.template.metadata.labels[key], value, `the controller Service selects the controller pods (${key})`);
        }

        // The controller accepts the settings as it would read them in its pod.
        const env = readControllerEnv(controllerProcessEnv(objects()));
        assert.equal(env.executor, 'kubernetes');
        assert.equal(env.kubernetes.namespace, 'autoresearch-experiments');
        assert.equal(env.kubernetes.inCluster, true);
        assert.equal(env.kubernetes.agentControllerUrl, config.data.AUTORESEARCH_AGENT_CONTROLLER_URL);
        assert.equal(env.kubernetes.startTimeoutSeconds, 600);
        assert.equal(env.kubernetes.onStartTimeout, 'retry');
        assert.equal(env.kubernetes.gpuResource, 'nvidia.com/gpu');
        // dev: a fixed pool of one GPU; prod: discovered from the nodes (the node-reader ClusterRole).
        assert.equal(env.kubernetes.gpus, overlay === 'dev' ? 1 : undefined);
        // Agents reach NATS at the NATS Service, on its client port.
        assert.ok(env.kubernetes.agentNatsUrl, 'agents have a NATS URL');
        const nats = serviceOf(objects(), env.kubernetes.agentNatsUrl, 4222);
        assert.equal(nats.service.metadata.name, 'nats');
        assert.equal(nats.port.port, 4222);
      });

      it('limits the controller Role to jobs, pods, pods/log, events and token secrets in the experiments namespace', () => {
        const role = find(objects(), 'Role', 'autoresearch-controller') as Any;
        assert.equal(role.metadata.namespace, 'autoresearch-experiments');
        const config = find(objects(), 'ConfigMap', 'autoresearch-config', 'autoresearch') as Any;
        assert.equal(role.metadata.namespace, config.data.AUTORESEARCH_K8S_NAMESPACE, 'the Role is where the run Jobs go');
        const rules = role.rules.map((r: Any) => ({ apiGroups: [...r.apiGroups].sort(), resources: [...r.resources].sort(), verbs: [...r.verbs].sort() }));
        assert.deepEqual(rules, [
          { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'delete', 'get', 'list', 'watch'] },
          { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
          { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
          { apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'watch'] },
          { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'delete', 'get', 'list'] },
        ]);
        const allows = (group: string, resource: string, verb: string) =>
          role.rules.some((r: Any) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
        for (const verb of ['create', 'delete', 'list', 'watch']) assert.ok(allows('batch', 'jobs', verb), `jobs ${verb}`);
        for (const verb of ['create', 'delete', 'list']) assert.ok(allows('', 'secrets', verb), `secrets ${verb}`);
        for (const verb of ['update', 'patch', 'watch', 'deletecollection']) assert.ok(!allows('', 'secrets', verb), `no secrets ${verb}`);
        for (const verb of ['list', 'watch']) assert.ok(allows('', 'pods', verb), `pods ${verb}`);
        assert.ok(allows('', 'pods/log', 'get'), 'pods/log get');
        for (const rule of role.rules) {
          assert.ok(!rule.verbs.includes('*') && !rule.resources.includes('*') && !rule.apiGroups.includes('*'), 'no wildcards');
        }
        const binding = find(objects(), 'RoleBinding', 'autoresearch-controller', 'autoresearch-experiments') as Any;
        assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'autoresearch-controller' });
        assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'autoresearch-controller', namespace: 'autoresearch' }]);

        // Nothing cluster-wide but reading nodes (GPU discovery).
        const clusterRoles = objects().filter((o) => o.kind === 'ClusterRole') as Any[];
        assert.deepEqual(clusterRoles.map((r) => r.metadata.name), ['autoresearch-node-reader']);
        const clusterRole = find(objects(), 'ClusterRole', 'autoresearch-node-reader') as Any;
        assert.deepEqual(clusterRole.rules, [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }]);
        assert.equal(clusterRole.aggregationRule, undefined);
        const clusterBinding = find(objects(), 'ClusterRoleBinding', 'autoresearch-node-reader') as Any;
        assert.equal(clusterBinding.roleRef.name, 'autoresearch-node-reader');
        assert.deepEqual(clusterBinding.subjects, [{ kind: 'ServiceAccount', name: 'autoresearch-controller', namespace: 'autoresearch' }]);
        // No other RBAC object exists.
        const rbac = objects().filter((o) => o.apiVersion.startsWith('rbac.authorization.k8s.io/')).map((o) => `${o.kind}/${o.metadata.name}`).sort();
        assert.deepEqual(rbac, ['ClusterRole/autoresearch-node-reader', 'ClusterRoleBinding/autoresearch-node-reader', 'Role/autoresearch-controller', 'RoleBinding/autoresearch-controller']);
      });

      it('lets experiment pods reach only NATS, the controller and DNS (and skill pods public HTTPS)', () => {
        const policies = objects().filter((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === 'autoresearch-experiments') as Any[];
        const deny = policies.find((p) => Object.keys(p.spec.podSelector).length === 0);
        assert.ok(deny, 'a default-deny policy for the experiments namespace');
        assert.deepEqual([...deny.spec.policyTypes].sort(), ['Egress', 'Ingress']);
        assert.equal(deny.spec.egress, undefined);
        assert.equal(deny.spec.ingress, undefined);

        const agent = policies.find((p) => p.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] === 'autoresearch-agent');
        assert.ok(agent, 'a policy selecting autoresearch-agent pods');
        assert.ok(agent.spec.policyTypes.includes('Egress'));
        assert.deepEqual(agent.spec.ingress ?? [], [], 'no ingress to agents');
        const egress = agent.spec.egress.map((rule: Any) => ({
          to: rule.to.map((peer: Any) => ({
            namespace: peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'],
            pod: peer.podSelector?.matchLabels?.['app.kubernetes.io/name'],
            ipBlock: peer.ipBlock,
            otherKeys: Object.keys(peer.namespaceSelector ?? {}).filter((k) => k !== 'matchLabels').concat(Object.keys(peer.podSelector ?? {}).filter((k) => k !== 'matchLabels')),
          })),
          ports: rule.ports.map((p: Any) => `${p.port}/${p.protocol}`).sort(),
        }));
        assert.deepEqual(egress, [
          { to: [{ namespace: 'autoresearch', pod: 'nats', ipBlock: undefined, otherKeys: [] }], ports: ['4222/TCP'] },
          { to: [{ namespace: 'autoresearch', pod: 'autoresearch-controller', ipBlock: undefined, otherKeys: [] }], ports: ['8420/TCP'] },
          { to: [{ namespace: 'kube-system', pod: undefined, ipBlock: undefined, otherKeys: [] }], ports: ['53/TCP', '53/UDP'] },
        ]);
        // Skill runs alone (their own label) may also reach public HTTPS, for the model API; not private ranges.
        const skill = policies.find((p) => p.spec.podSelector.matchLabels?.['autoresearch.dev/flavor'] === 'skill');
        assert.ok(skill, 'a policy for skill pods');
        assert.equal(skill.spec.podSelector.matchLabels['app.kubernetes.io/name'], 'autoresearch-agent');
        assert.deepEqual(skill.spec.egress.map((rule: Any) => rule.ports.map((p: Any) => `${p.port}/${p.protocol}`)), [['443/TCP']]);
        const block = skill.spec.egress[0].to[0].ipBlock;
        assert.equal(block.cidr, '0.0.0.0/0');
        for (const privateRange of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16']) assert.ok(block.except.includes(privateRange), privateRange);
        // Every other policy in the namespace only denies (no allow rules that widen the agent's egress).
        for (const p of policies) if (p !== agent && p !== skill) assert.equal(p.spec.egress, undefined, `${p.metadata.name} adds egress`);

        // NATS and the controller accept traffic from the agents.
        for (const name of ['nats-ingress', 'controller-ingress']) find(objects(), 'NetworkPolicy', name, 'autoresearch');
        const natsIngress = find(objects(), 'NetworkPolicy', 'nats-ingress', 'autoresearch') as Any;
        assert.ok(
          natsIngress.spec.ingress[0].from.some((peer: Any) => peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'autoresearch-experiments' && peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'autoresearch-agent'),
        );
      });

      it('admits the run Jobs the executor builds: namespace, RBAC, pod security, labels the egress policy selects', () => {
        const env = readControllerEnv(controllerProcessEnv(objects()));
        const raw = parse(SURROGATE_SPEC) as Any;
        raw.run.kubernetes = {
          image: 'registry.example.com/autoresearch/agent:0.1.0',
          gpus: 1,
          requests: { cpu: '4', memory: '16Gi' },
          limits: { cpu: '8', memory: '32Gi' },
          nodeSelector: { 'nvidia.com/gpu.present': 'true' },
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
          datasetCache: { claimName: 'datasets' },
        };
        const ids = { runId: '3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f', attempt: 0 };
        const namespace = env.kubernetes.namespace;
        const job = buildRunJob({
          run: { ...ids, studyId: 'a1b2c3d4-0000-4000-8000-000000000001', branchIndex: 0, experimentNumber: 1 },
          spec: validateStudySpec(raw),
          namespace,
          controllerUrl: env.kubernetes.agentControllerUrl ?? assert.fail('no AUTORESEARCH_AGENT_CONTROLLER_URL'),
          natsUrl: env.kubernetes.agentNatsUrl ?? assert.fail('no agent NATS URL'),
          tokenSecretName: runTokenSecretName(ids.runId, ids.attempt),
        }) as Any;
        const secret = buildRunTokenSecret({ ...ids, token: 'placeholder', namespace }) as Any;
        new Job(job).validate();
        new Secret(secret).validate();

        // The executor's namespace exists, and the controller may create, watch and delete there.
        const ns = find(objects(), 'Namespace', namespace) as Any;
        const role = find(objects(), 'Role', 'autoresearch-controller', namespace) as Any;
        const allows = (group: string, resource: string, verb: string) =>
          role.rules.some((r: Any) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
        assert.equal(job.metadata.namespace, namespace);
        assert.equal(secret.metadata.namespace, namespace);
        assert.ok(allows('batch', 'jobs', 'create') && allows('', 'secrets', 'create'));

        // The namespace enforces `restricted`, and the run pod meets it.
        const enforced = ns.metadata.labels['pod-security.kubernetes.io/enforce'];
        assert.equal(enforced, 'restricted');
        assertRestricted(job.spec.template.spec, `run Job ${job.metadata.name}`);

        // The agent egress policy selects the run pod, and allows exactly where its command points.
        const podLabels = job.spec.template.metadata.labels;
        const agentPolicy = (objects().filter((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === namespace) as Any[])
          .find((p) => p.spec.podSelector.matchLabels?.['app.kubernetes.io/name']);
        assert.ok(agentPolicy, 'an egress policy for agents');
        for (const [key, value] of Object.entries<string>(agentPolicy.spec.podSelector.matchLabels)) {
          assert.equal(podLabels[key], value, `the run pod carries ${key}=${value}, which the egress policy selects`);
        }
        const command: string[] = job.spec.template.spec.containers[0].command;
        const argOf = (flag: string) => command[command.indexOf(flag) + 1]!;
        for (const [flag, defaultPort] of [['--controller-url', 80], ['--nats-url', 4222]] as const) {
          const { service, port } = serviceOf(objects(), argOf(flag), defaultPort);
          const targets = (find(objects(), service.kind, service.metadata.name, service.metadata.namespace) as Any).spec.selector['app.kubernetes.io/name'];
          const rule = agentPolicy.spec.egress.find((r: Any) => r.to.some((peer: Any) =>
            peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] === targets
            && peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === service.metadata.namespace));
          assert.ok(rule, `the egress policy lets agents reach ${service.metadata.namespace}/${targets} (${flag})`);
          // A named targetPort resolves to the pod's container port: the policy must allow that number.
          const workload = objects().find((o) => ['Deployment', 'StatefulSet'].includes(o.kind) && o.metadata.namespace === service.metadata.namespace
            && podSpecOf(o) && (o as Any).spec.template.metadata.labels['app.kubernetes.io/name'] === targets) as Any;
          assert.ok(workload, `a workload behind ${service.metadata.name}`);
          const containerPort = podSpecOf(workload).containers.flatMap((c: Any) => c.ports ?? [])
            .find((p: Any) => p.name === port.targetPort || p.containerPort === port.targetPort)?.containerPort;
          assert.ok(rule.ports.some((p: Any) => p.port === containerPort && p.protocol === 'TCP'), `the egress policy allows ${containerPort}/TCP for ${flag}`);
        }

        // The token reaches the pod only as a reference to the per-run Secret.
        const tokenEnv = job.spec.template.spec.containers[0].env.find((e: Any) => e.name === 'AUTORESEARCH_RUN_TOKEN');
        assert.equal(tokenEnv.valueFrom.secretKeyRef.name, secret.metadata.name);
        assert.equal(job.spec.template.spec.automountServiceAccountToken, false, 'agents get no Kubernetes API token');
      });

      it('runs every pod as non-root with seccomp RuntimeDefault, no privilege escalation and no capabilities', () => {
        const workloads = objects().filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind));
        assert.ok(workloads.length >= 3);
        for (const w of workloads) {
          const spec = podSpecOf(w);
          const label = `${w.kind}/${w.metadata.name}`;
          assert.equal(spec.securityContext?.runAsNonRoot, true, `${label} runAsNonRoot`);
          assert.ok(spec.securityContext?.runAsUser > 0, `${label} runAsUser is not root`);
          assert.equal(spec.securityContext?.seccompProfile?.type, 'RuntimeDefault', `${label} seccomp`);
          for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
            assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${label}/${c.name} allowPrivilegeEscalation`);
            assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${label}/${c.name} drops ALL capabilities`);
            assert.equal(c.securityContext?.capabilities?.add, undefined, `${label}/${c.name} adds no capability`);
            assert.notEqual(c.securityContext?.privileged, true);
            assert.ok(c.resources?.requests && c.resources?.limits, `${label}/${c.name} has requests and limits`);
            if (overlay === 'prod') assert.match(c.image, /:[^:]+$/, `${label}/${c.name} image has a tag`);
            if (overlay === 'prod') assert.doesNotMatch(c.image, /:(latest|dev)$/, `${label}/${c.name} image is pinned in prod`);
          }
        }
        const nats = find(objects(), 'StatefulSet', 'nats', 'autoresearch') as Any;
        const natsContainer = nats.spec.template.spec.containers[0];
        assert.match(natsContainer.image, /^nats:2\.10/);
        assert.deepEqual(natsContainer.args.slice(0, 3), ['-js', '-sd', '/data']);
        assert.ok(natsContainer.readinessProbe && natsContainer.livenessProbe);
        assert.equal(nats.spec.volumeClaimTemplates[0].metadata.name, 'data');
        const postgres = find(objects(), 'StatefulSet', 'postgres', 'autoresearch') as Any;
        assert.match(postgres.spec.template.spec.containers[0].image, /^postgres:16/);
        assert.ok(postgres.spec.volumeClaimTemplates[0].spec.resources.requests.storage);
      });

      it('ships only placeholder secrets', () => {
        const secrets = objects().filter((o) => o.kind === 'Secret') as Any[];
        assert.ok(secrets.length >= 2);
        const realLooking = [/sk-ant-[A-Za-z0-9_-]{8,}/, /\bsk-[A-Za-z0-9]{20,}/, /AKIA[0-9A-Z]{16}/, /ar_[A-Za-z0-9_-]{43}/, /-----BEGIN [A-Z ]*PRIVATE KEY-----/];
        for (const secret of secrets) {
          const values: Record<string, string> = { ...(secret.stringData ?? {}) };
          for (const [k, v] of Object.entries<string>(secret.data ?? {})) values[k] = Buffer.from(v, 'base64').toString('utf8');
          for (const [key, value] of Object.entries(values)) {
            for (const pattern of realLooking) assert.doesNotMatch(value, pattern, `${secret.metadata.name}.${key} looks like a real credential`);
            if (/KEY|PASSWORD|TOKEN|URL/.test(key)) assert.match(value, /REPLACE_ME/, `${secret.metadata.name}.${key} is a marked placeholder`);
          }
        }
        assert.match((find(objects(), 'Secret', 'autoresearch-secrets', 'autoresearch') as Any).stringData.ANTHROPIC_API_KEY, /^REPLACE_ME/);
      });
    });
  }
});

describe('deploy/k8s with a managed Postgres', () => {
  let copy: string;
  before(async () => {
    requireKubectl();
    copy = await mkdtemp(join(tmpdir(), 'deploy-k8s-'));
    await cp(join(repoRoot, 'deploy/k8s'), copy, { recursive: true });
  });
  after(async () => {
    if (copy) await rm(copy, { recursive: true, force: true });
  });

  it('renders both overlays without the postgres component, as the README describes', async () => {
    const kustomization = join(copy, 'base/kustomization.yaml');
    const text = await readFile(kustomization, 'utf8');
    const stripped = text.replace(/\ncomponents:\n(\s+- .*\n)+/, '\n');
    assert.notEqual(stripped, text, 'base/kustomization.yaml lists the postgres component');
    await writeFile(kustomization, stripped);
    for (const overlay of overlays) {
      const objects = render(join(copy, 'overlays', overlay));
      assert.ok(!objects.some((o) => o.metadata.name.startsWith('postgres')), `${overlay} still has Postgres objects`);
      find(objects, 'Deployment', 'autoresearch-controller', 'autoresearch');
    }
  });
});
