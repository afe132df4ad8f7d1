import { planAsData, type ClusterPlan, type Plan } from '../plan/index.js';
import { cacertsSecret, namespace, remoteReader, routesScript, type CaCertFiles } from './cluster.js';
import { exposeIstiod, exposeServices } from './expose.js';
import { eastWestGatewayOperator, helmGatewayValues } from './gateway.js';
import { HELM_CHARTS, HELM_RELEASES } from './helm.js';
import { helmBaseValues, helmIstiodValues, istioOperator, remotePilotAddress, type RenderInputs } from './istio.js';
import { mcsCrds } from './services.js';
import { comment, shellWord, toYaml, toYamlDocuments } from './yaml.js';

export interface RenderedFile {
  /** Relative to the output folder, e.g. `cluster01/20-istio.yaml`. */
  path: string;
  content: string;
  /** 0o600 for files holding keys. */
  mode: number;
}

export interface RenderOptions extends RenderInputs {
  /** Intermediate CA files by cluster; given only with --include-secrets. */
  cacerts?: Record<string, CaCertFiles>;
}

export interface RenderResult {
  files: RenderedFile[];
  /** Things a reader must act on (e.g. a gateway address only known after apply). */
  notes: string[];
}

const HEADER = 'Rendered by meshfed from the mesh file; do not edit (change mesh.yaml and render again).';

function istioFiles(plan: Plan, c: ClusterPlan, opts: RenderOptions): RenderedFile[] {
  const ctx = shellWord(c.context);
  if (plan.mesh.istio.installer === 'istioctl') {
    return [{ path: `${c.name}/20-istio.yaml`, mode: 0o644, content: comment([HEADER, `istioctl install -y --context=${ctx} -f 20-istio.yaml`]) + toYaml(istioOperator(plan, c, opts)) }];
  }
  const helm = (chart: string, release: string, file: string) => `helm upgrade --install ${release} istio/${chart} -n istio-system --kube-context ${ctx} -f ${file}`;
  return [
    { path: `${c.name}/20-helm-base.values.yaml`, mode: 0o644, content: comment([HEADER, helm(HELM_CHARTS.base, HELM_RELEASES.base, '20-helm-base.values.yaml')]) + toYaml(helmBaseValues(plan, c)) },
    {
      path: `${c.name}/21-helm-istiod.values.yaml`,
      mode: 0o644,
      content: comment([HEADER, helm(HELM_CHARTS.istiod, HELM_RELEASES.istiod(plan.mesh.istio.revision), '21-helm-istiod.values.yaml')]) + toYaml(helmIstiodValues(plan, c, opts)),
    },
  ];
}

function gatewayFiles(plan: Plan, c: ClusterPlan): RenderedFile[] {
  if (!c.eastWestGateway) return [];
  if (plan.mesh.istio.installer === 'istioctl') {
    return [{ path: `${c.name}/30-eastwest-gateway.yaml`, mode: 0o644, content: comment([HEADER, `istioctl install -y --context=${shellWord(c.context)} -f 30-eastwest-gateway.yaml`]) + toYaml(eastWestGatewayOperator(plan, c)) }];
  }
  return [
    {
      path: `${c.name}/30-helm-gateway.values.yaml`,
      mode: 0o644,
      content: comment([HEADER, `helm upgrade --install ${HELM_RELEASES.gateway} istio/${HELM_CHARTS.gateway} -n istio-system --kube-context ${shellWord(c.context)} -f 30-helm-gateway.values.yaml`]) + toYaml(helmGatewayValues(plan, c)),
    },
  ];
}

/** Documents that are the same in every cluster, rendered once per mesh: YAML output dominates render time. */
interface SharedYaml {
  exposeIstiod: string;
  exposeServices: string;
  remoteReader: string;
  routesOn: Map<string, Plan['routes']>;
  mcsCrds?: string;
}

function sharedYaml(plan: Plan): SharedYaml {
  const routesOn = new Map<string, Plan['routes']>();
  for (const r of plan.routes) {
    const list = routesOn.get(r.on);
    if (list) list.push(r);
    else routesOn.set(r.on, [r]);
  }
  const mcs = plan.mesh.services?.discovery === 'mcs' ? { mcsCrds: toYamlDocuments(mcsCrds()) } : {};
  return { exposeIstiod: toYamlDocuments(exposeIstiod(plan)), exposeServices: toYaml(exposeServices()), remoteReader: toYamlDocuments(remoteReader()), routesOn, ...mcs };
}

function clusterFiles(plan: Plan, c: ClusterPlan, opts: RenderOptions, shared: SharedYaml, notes: string[]): RenderedFile[] {
  const files: RenderedFile[] = [];
  const kubectl = (file: string) => `kubectl apply --context=${shellWord(c.context)} -f ${file}`;
  files.push({ path: `${c.name}/00-namespace.yaml`, mode: 0o644, content: comment([HEADER, kubectl('00-namespace.yaml')]) + toYaml(namespace(c)) });
  const ca = opts.cacerts?.[c.name];
  if (ca) {
    files.push({ path: `${c.name}/10-cacerts.yaml`, mode: 0o600, content: comment([HEADER, 'Holds the intermediate CA private key: keep this file secret.']) + toYaml(cacertsSecret(ca)) });
  } else {
    files.push({
      path: `${c.name}/10-cacerts.txt`,
      mode: 0o644,
      content: [
        'The cacerts Secret is not rendered by default: it holds the intermediate CA key.',
        `meshfed apply creates it in istio-system of ${c.name} from ${plan.mesh.trust.rootDir}/${c.name}/`,
        '(ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem) before Istio is installed.',
        'To render it here instead, run: meshfed render --include-secrets (files are written 0600).',
        '',
      ].join('\n'),
    });
  }
  if (shared.mcsCrds)
    files.push({ path: `${c.name}/05-mcs-crds.yaml`, mode: 0o644, content: comment([HEADER, 'ServiceExport and ServiceImport CRDs of sigs.k8s.io/mcs-api v0.5.0 (services.discovery: mcs).', kubectl('05-mcs-crds.yaml')]) + shared.mcsCrds });
  if (c.role === 'remote' && !remotePilotAddress(plan, c, opts).known)
    notes.push(`${c.name}/20-*: remotePilotAddress is a placeholder until ${c.primary}'s east-west gateway has an address; set loadBalancerPool or eastWestGatewayAddress on ${c.primary} to render it, or let meshfed apply fill it in`);
  files.push(...istioFiles(plan, c, opts), ...gatewayFiles(plan, c));
  if (c.eastWestGateway?.exposesIstiod) files.push({ path: `${c.name}/40-expose-istiod.yaml`, mode: 0o644, content: comment([HEADER, kubectl('40-expose-istiod.yaml')]) + shared.exposeIstiod });
  if (c.eastWestGateway?.exposesServices) files.push({ path: `${c.name}/41-expose-services.yaml`, mode: 0o644, content: comment([HEADER, kubectl('41-expose-services.yaml')]) + shared.exposeServices });
  if (c.watchedBy.length > 0)
    files.push({
      path: `${c.name}/50-remote-reader.yaml`,
      mode: 0o644,
      content: comment([HEADER, `Lets ${c.watchedBy.join(', ')} watch this cluster; meshfed apply turns its token into istio-remote-secret-${c.name} there.`]) + shared.remoteReader,
    });
  const routes = shared.routesOn.get(c.name);
  if (routes) files.push({ path: `${c.name}/90-routes.sh`, mode: 0o755, content: routesScript(c, routes) });
  return files;
}

/** Every manifest of the mesh, per cluster, in apply order. Pure and deterministic. */
export function renderMesh(plan: Plan, opts: RenderOptions = {}): RenderResult {
  const notes: string[] = [];
  const shared = sharedYaml(plan);
  const files = plan.clusters.flatMap((c) => clusterFiles(plan, c, opts, shared, notes));
  files.push({ path: 'plan.json', mode: 0o644, content: JSON.stringify(planAsData(plan), null, 2) + '\n' });
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, notes };
}
