/**
 * Project defaults. The Istio version is the one the lab builds; the Kubernetes version the
 * lab runs is one that Istio 1.31 supports (minimum 1.32).
 */
export const DEFAULT_ISTIO_VERSION = '1.31.0';
export const DEFAULT_TRUST_DOMAIN = 'cluster.local';
export const DEFAULT_ROOT_DIR = './certs';
export const DEFAULT_KEY_ALGORITHM = 'rsa-4096';
export const DEFAULT_VALIDITY_DAYS = 3650;
export const DEFAULT_LAB_NODES = 2;
export const API_VERSION = 'meshfed.io/v1alpha1';
