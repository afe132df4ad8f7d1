import { ISTIO_NAMESPACE, OBJECTS, istiodName, metadataOf, type Plan } from '../plan/index.js';

type Obj = Record<string, unknown>;

// Istio's samples set no namespace (the docs apply them with -n istio-system); rendered files
// carry it (OBJECTS names them in istio-system) so `kubectl apply -f out/<cluster>/` puts them in the right place.

/** `samples/multicluster/expose-istiod.yaml` (or `expose-istiod-rev.yaml.tmpl` with a revision). */
export function exposeIstiod(plan: Plan): Obj[] {
  const rev = plan.mesh.istio.revision;
  const passthrough = (name: string, number: number) => ({ port: { name, number, protocol: 'tls' }, tls: { mode: 'PASSTHROUGH' }, hosts: ['*'] });
  const gateway = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: metadataOf(OBJECTS.istiodGateway),
    spec: { selector: { istio: 'eastwestgateway' }, servers: [passthrough('tls-istiod', 15012), passthrough('tls-istiodwebhook', 15017)] },
  };
  const host = `${istiodName(rev)}.${ISTIO_NAMESPACE}.svc.cluster.local`;
  const sni = rev ? [`${istiodName(rev)}.${ISTIO_NAMESPACE}.svc`, host] : ['*'];
  const route = (port: number, target: number) => ({ match: [{ port, sniHosts: sni }], route: [{ destination: { host, port: { number: target } } }] });
  const virtualService = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: metadataOf(OBJECTS.istiodVirtualService(rev)),
    spec: { hosts: ['*'], gateways: [OBJECTS.istiodGateway.name], tls: [route(15012, 15012), route(15017, 443)] },
  };
  return [gateway, virtualService];
}

/** `samples/multicluster/expose-services.yaml`: mTLS traffic to `*.local` passes through by SNI. */
export function exposeServices(): Obj {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: metadataOf(OBJECTS.crossNetworkGateway),
    spec: {
      selector: { istio: 'eastwestgateway' },
      servers: [{ port: { number: 15443, name: 'tls', protocol: 'TLS' }, tls: { mode: 'AUTO_PASSTHROUGH' }, hosts: ['*.local'] }],
    },
  };
}
