import { OBJECTS, metadataOf, type ClusterPlan, type Route } from '../plan/index.js';
import { shellWord } from './yaml.js';

type Obj = Record<string, unknown>;

export function namespace(c: ClusterPlan): Obj {
  const metadata: Obj = { name: c.namespace.name };
  if (Object.keys(c.namespace.labels).length) metadata['labels'] = c.namespace.labels;
  if (Object.keys(c.namespace.annotations).length) metadata['annotations'] = c.namespace.annotations;
  return { apiVersion: 'v1', kind: 'Namespace', metadata };
}

export interface CaCertFiles {
  caCert: string;
  caKey: string;
  rootCert: string;
  certChain: string;
}

/** The `cacerts` Secret istiod mounts at /etc/cacerts; all four keys or istiod refuses to start. */
export function cacertsSecret(files: CaCertFiles): Obj {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: metadataOf(OBJECTS.cacerts),
    type: 'Opaque',
    data: {
      'ca-cert.pem': b64(files.caCert),
      'ca-key.pem': b64(files.caKey),
      'root-cert.pem': b64(files.rootCert),
      'cert-chain.pem': b64(files.certChain),
    },
  };
}

/**
 * The read-only identity a primary uses to watch this cluster, as `istioctl create-remote-secret`
 * sets it up: istio-reader-service-account, a reader ClusterRole and a long-lived token Secret.
 */
export function remoteReader(): Obj[] {
  const labels = { app: 'istio-reader', 'app.kubernetes.io/name': 'istio-reader', 'app.kubernetes.io/managed-by': 'meshfed' };
  const read = ['get', 'list', 'watch'];
  const { readerServiceAccount: sa, readerClusterRole: role, readerClusterRoleBinding: binding, readerToken: token } = OBJECTS;
  return [
    // Istio's install creates this service account too and labels it managed-by Helm; sharing
    // that label would make every install and every apply take it from the other.
    { apiVersion: sa.apiVersion, kind: sa.kind, metadata: { ...metadataOf(sa), labels: { app: labels.app, 'app.kubernetes.io/name': labels['app.kubernetes.io/name'] } } },
    {
      apiVersion: role.apiVersion,
      kind: role.kind,
      metadata: { ...metadataOf(role), labels },
      rules: [
        { apiGroups: ['config.istio.io', 'security.istio.io', 'networking.istio.io', 'authentication.istio.io', 'rbac.istio.io', 'telemetry.istio.io', 'extensions.istio.io'], resources: ['*'], verbs: read },
        { apiGroups: [''], resources: ['endpoints', 'pods', 'services', 'nodes', 'replicationcontrollers', 'namespaces', 'secrets', 'configmaps'], verbs: read },
        { apiGroups: ['networking.istio.io'], resources: ['workloadentries'], verbs: read },
        { apiGroups: ['networking.x-k8s.io', 'gateway.networking.k8s.io'], resources: ['gateways'], verbs: read },
        { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: read },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: read },
        { apiGroups: ['multicluster.x-k8s.io'], resources: ['serviceexports'], verbs: [...read, 'create', 'delete'] },
        { apiGroups: ['multicluster.x-k8s.io'], resources: ['serviceimports'], verbs: read },
        { apiGroups: ['apps'], resources: ['replicasets'], verbs: read },
        { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
        { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
      ],
    },
    {
      apiVersion: binding.apiVersion,
      kind: binding.kind,
      metadata: { ...metadataOf(binding), labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: role.kind, name: role.name },
      subjects: [{ kind: sa.kind, name: sa.name, namespace: sa.namespace }],
    },
    {
      apiVersion: token.apiVersion,
      kind: token.kind,
      metadata: { ...metadataOf(token), annotations: { 'kubernetes.io/service-account.name': sa.name } },
      type: 'kubernetes.io/service-account-token',
    },
  ];
}

/** Seed 000's `ip route add` lines for one cluster, safe to run again. */
export function routesScript(c: ClusterPlan, routes: Route[]): string {
  const mine = routes.filter((r) => r.on === c.name);
  const varName = (owner: string) => `NODE_ADDRESS_${owner.toUpperCase().replace(/-/g, '_')}`;
  const lines = [
    '#!/bin/sh',
    `# Routes from the nodes of ${c.name} to the other clusters of flat network "${c.network || '(default)'}".`,
    '# Pods of one flat network reach each other directly, so each node needs a route to the',
    "# other clusters' pod and service ranges. Run as root on every node of this cluster.",
    'set -eu',
    'add_route() { ip route show "$1" | grep -q . || ip route add "$1" via "$2"; }',
  ];
  const missing = [...new Set(mine.filter((r) => !r.via).map((r) => r.owner))];
  for (const owner of missing) lines.push(`: "\${${varName(owner)}:?set ${varName(owner)} to a node IP of ${owner} (or nodeAddress in mesh.yaml)}"`);
  for (const r of mine) lines.push(`add_route ${shellWord(r.destination)} ${r.via ? shellWord(r.via) : `"$${varName(r.owner)}"`}  # ${r.owner}`);
  return lines.join('\n') + '\n';
}
