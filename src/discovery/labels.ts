/** Names istiod reads (istio.io/api label package, pilot/pkg/serviceregistry/kube/controller). */
export const MULTICLUSTER_SECRET_LABEL = 'istio/multiCluster';
export const NETWORK_LABEL = 'topology.istio.io/network';
export const GATEWAY_PORT_LABEL = 'networking.istio.io/gatewayPort';
export const TLS_MODE_LABEL = 'security.istio.io/tlsMode';
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export const DEFAULT_SYSTEM_NAMESPACE = 'istio-system';
export const DEFAULT_DOMAIN_SUFFIX = 'cluster.local';
/** DefaultNetworkGatewayPort and DefaultNetworkGatewayHBONEPort in network.go. */
export const DEFAULT_GATEWAY_PORT = 15443;
export const DEFAULT_GATEWAY_HBONE_PORT = 15008;
