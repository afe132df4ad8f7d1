import type { IncomingMessage, ServerResponse } from 'node:http';
import { kubeClientsFromInline, type KubeClients } from '../../src/kube/index.js';
import { startTlsServer, type TlsServer } from './tlsServer.js';

/**
 * A loopback API server that knows the kinds below and holds no object: it answers each API
 * version's resource list, 404 to every object read and an empty list to every list, and
 * records the paths asked. Stands for an empty cluster where a test counts requests.
 */
const KINDS: Record<string, [plural: string, kind: string, namespaced: boolean][]> = {
  '/api/v1': [['namespaces', 'Namespace', false], ['secrets', 'Secret', true], ['configmaps', 'ConfigMap', true], ['services', 'Service', true], ['serviceaccounts', 'ServiceAccount', true], ['nodes', 'Node', false], ['pods', 'Pod', true]],
  '/apis/apps/v1': [['deployments', 'Deployment', true]],
  '/apis/networking.k8s.io/v1': [['servicecidrs', 'ServiceCIDR', false]],
  '/apis/discovery.k8s.io/v1': [['endpointslices', 'EndpointSlice', true]],
  '/apis/networking.istio.io/v1': [['gateways', 'Gateway', true], ['virtualservices', 'VirtualService', true], ['destinationrules', 'DestinationRule', true]],
  '/apis/rbac.authorization.k8s.io/v1': [['clusterroles', 'ClusterRole', false], ['clusterrolebindings', 'ClusterRoleBinding', false]],
  '/apis/admissionregistration.k8s.io/v1': [['mutatingwebhookconfigurations', 'MutatingWebhookConfiguration', false]],
};

export interface FakeApi {
  tls: TlsServer;
  /** Every request's path, without its query, in order. */
  paths: string[];
  clients(context?: string): KubeClients;
}

export async function startFakeApi(ip: string, dir: string): Promise<FakeApi> {
  const paths: string[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0]!;
    paths.push(path);
    res.setHeader('content-type', 'application/json');
    const kinds = KINDS[path];
    if (kinds) return void res.end(JSON.stringify({ kind: 'APIResourceList', groupVersion: path.replace(/^\/apis?\//, ''), resources: kinds.map(([name, kind, namespaced]) => ({ name, kind, namespaced, singularName: '', verbs: ['get', 'list'] })) }));
    const last = path.split('/').pop() ?? '';
    const listed = Object.values(KINDS).some((ks) => ks.some(([plural]) => plural === last));
    if (listed) return void res.end(JSON.stringify({ kind: 'List', apiVersion: 'v1', metadata: {}, items: [] }));
    res.statusCode = 404;
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${path} not found` }));
  };
  const tls = await startTlsServer(ip, dir, handler);
  return {
    tls,
    paths,
    clients: (context = 'fake') => kubeClientsFromInline({ context, cluster: { name: context, server: tls.url, caData: tls.caData }, user: { name: 'test', token: 't' } }, { requestTimeoutMs: 5_000, reuseConnections: true }),
  };
}
