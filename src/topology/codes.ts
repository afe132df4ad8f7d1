/**
 * Every diagnostic code meshfed emits about a mesh file, with its one-line meaning.
 * Codes are stable: tools and docs refer to them.
 */
export const DIAGNOSTIC_CODES = {
  MF1001: 'YAML syntax error',
  MF1002: 'the file must hold exactly one YAML document',
  MF1003: 'the file cannot be read',
  MF2001: 'a required field is missing',
  MF2002: 'unknown field',
  MF2003: 'a value has the wrong type',
  MF2004: 'a value is not one of the allowed values',
  MF2005: 'a value is out of range',
  MF3001: 'a name is not a DNS-1123 label',
  MF3002: 'duplicate cluster name',
  MF3003: "a remote's control plane names no cluster of the mesh",
  MF3004: "a remote's control plane is itself a remote",
  MF3005: 'a primary serving remotes points at another control plane',
  MF3006: 'a cluster names itself as its control plane',
  MF3007: 'the mesh has no primary cluster',
  MF3010: 'pod/service ranges overlap on one network',
  MF3011: 'not a valid CIDR or IP address',
  MF3020: 'API server address is loopback, localhost or unspecified (0.0.0.0)',
  MF3021: 'API server address uses plain http',
  MF3022: 'API server address is not a valid https URL',
  MF3023: 'API server address is missing',
  MF3024: 'a cluster of a shared flat network has no node address for routes',
  MF3030: 'trust domain is not well formed',
  MF3031: 'Istio version is not well formed',
  MF3032: 'revision is not a DNS-1123 label',
  MF3040: 'the mesh has networks but a cluster has none',
  MF3041: 'east-west gateway address is not usable',
  MF3042: 'duplicate kubeconfig context',
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;
