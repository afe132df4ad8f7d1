/**
 * Every code meshfed emits, in one place: its meaning, the layer that raises it, its category
 * (which decides the CLI's exit code) and, where a layer raises it by name, that name. The
 * README's code tables are generated from this (`npm run docs:codes`) and a test keeps them in
 * step. Codes are stable: tools and docs refer to them. Ranges: MF0xxx a bug in meshfed,
 * MF1xxx–MF3xxx the mesh file (syntax, schema, semantics; MF38xx writing rendered files),
 * MF4xxx live checks, MF5xxx trust,
 * MF6xxx the lab, MF7xxx the Kubernetes API, MF8xxx apply/destroy, MF9xxx discovery (MF95xx
 * its HTTP API).
 *
 * This module imports nothing, so every layer (topology, pki and kube included) may import it.
 */

/** What kind of failure a code is; the CLI maps each to one exit code. */
export type ErrorCategory =
  /** A bad command line or request (exit 64). */
  | 'usage'
  /** The mesh file is invalid (exit 65). */
  | 'invalidMesh'
  /** A cluster could not be reached (exit 69). */
  | 'unreachable'
  /** An operation failed for a reason its message and hint name (exit 1). */
  | 'failed'
  /** A bug in meshfed (exit 1). */
  | 'internal';

export type ErrorLayer = 'plan' | 'topology' | 'render' | 'pki' | 'lab' | 'kube' | 'apply' | 'discovery' | 'serve' | 'doctor' | 'dns';

interface Entry {
  readonly meaning: string;
  readonly layer: ErrorLayer;
  readonly category: ErrorCategory;
  /** The name the layer raises it by (e.g. a kube error's reason), for layers keyed by name. */
  readonly name?: string;
}

const mesh = (meaning: string) => ({ meaning, layer: 'topology', category: 'invalidMesh' }) as const;
const live = <C extends ErrorCategory = 'failed'>(meaning: string, category: C = 'failed' as C) => ({ meaning, layer: 'doctor', category }) as const;

export const ERROR_CATALOGUE = {
  MF0001: { meaning: "the plan's steps form a cycle", layer: 'plan', category: 'internal' },

  MF1001: mesh('YAML syntax error (also a duplicate key)'),
  MF1002: mesh('the file must hold exactly one YAML document'),
  MF1003: mesh('the file cannot be read'),
  MF1004: mesh('the file is larger than 1 MiB'),
  MF1005: mesh('the file holds more than 100,000 values'),
  MF1006: mesh('values are nested more than 64 levels deep'),
  MF1007: mesh('more than 1,000 anchors and aliases, or aliases expanding to more than 100,000 values'),
  MF1008: mesh('an alias names no anchor defined before it'),
  MF1009: mesh('an alias refers to a value that contains it (a cycle)'),
  MF1010: mesh('the file is not a regular file (a folder, pipe or device)'),
  MF2001: mesh('a required field is missing'),
  MF2002: mesh('unknown field (with "did you mean")'),
  MF2003: mesh('a value has the wrong type'),
  MF2004: mesh('a value is not one of the allowed values'),
  MF2005: mesh('a value is out of range'),
  MF3001: mesh('a name (mesh, cluster, network) is not a DNS-1123 label'),
  MF3002: mesh('duplicate cluster name'),
  MF3003: mesh("a remote's control plane names no cluster of the mesh"),
  MF3004: mesh("a remote's control plane is itself a remote"),
  MF3005: mesh('a primary serving remotes points at another control plane'),
  MF3006: mesh('a cluster names itself as its control plane'),
  MF3007: mesh('the mesh has no primary cluster'),
  MF3010: mesh('pod/service ranges overlap on one flat network'),
  MF3011: mesh('not a valid CIDR or IP address (IPv4 only as a dotted quad without leading zeros: `010.010.0.0/16` and `2130706433` are refused)'),
  MF3020: mesh('API server address is loopback, localhost or unspecified (0.0.0.0; allowed only in a lab mesh)'),
  MF3021: mesh('API server address uses plain http'),
  MF3022: mesh('API server address is not a valid https URL'),
  MF3023: mesh('API server address is missing (warning)'),
  MF3024: mesh('a cluster of a shared flat network has no `nodeAddress` for routes (warning)'),
  MF3030: mesh('trust domain is not well formed'),
  MF3031: mesh('Istio version is not well formed'),
  MF3032: mesh('revision is not a DNS-1123 label'),
  MF3040: mesh('the mesh has networks but a cluster has none'),
  MF3041: mesh('east-west gateway address is not an IP or outside the pool'),
  MF3042: mesh('duplicate kubeconfig context'),
  MF3050: mesh('a name, context, address or path holds a control character (a newline in a `context` would end the comment line it is rendered into)'),
  MF3051: mesh('the plan would hold over 200,000 remote secrets (primaries × other clusters) or flat-network routes'),
  MF3060: mesh('a cluster-local host (`services.clusterLocal`) is not a hostname or `*.` and a domain'),

  // Live checks (`meshfed doctor`): each is a finding with evidence, cause and fix, not a thrown error.
  MF4001: live('a cluster cannot be reached', 'unreachable'),
  MF4002: live("meshfed's credentials for a cluster are rejected, or may not read what doctor reads"),
  MF4010: live("istiod's meshID is not the mesh file's"),
  MF4011: live("istiod's trust domain is not the mesh file's"),
  MF4012: live('the Istio version running is not the mesh file\'s (error beyond one minor version of skew)'),
  MF4013: live('a primary runs no istiod'),
  MF4020: live('`istio-system` lacks a label or annotation the plan sets (the network label, `controlPlaneClusters`)'),
  MF4021: live("the east-west gateway's network label is not its cluster's network"),
  MF4022: live("the east-west gateway's `ISTIO_META_REQUESTED_NETWORK_VIEW` is not its cluster's network"),
  MF4030: live('a primary holds no remote secret for a cluster it must watch'),
  MF4031: live('a remote secret names a cluster the mesh does not have'),
  MF4032: live('two remote secrets register one cluster ID (istiod ignores the second)'),
  MF4033: live("a remote secret's server is not the watched cluster's `apiServer` (stale), or is loopback outside a lab"),
  MF4034: live("a remote secret's kubeconfig is refused, or its credentials are rejected by the watched cluster"),
  MF4035: live("a remote secret's credentials may not list and watch what istiod reads"),
  MF4040: live('a cluster has no `cacerts` Secret'),
  MF4041: live("`cacerts` does not chain to the mesh's root"),
  MF4042: live('an intermediate CA in `cacerts` expires within 30 days (error once expired)'),
  MF4043: live("the root workloads receive (`istio-ca-root-cert`) is not the mesh's root"),
  MF4050: live("istiod's view (or, where istiod cannot be asked, meshfed's discovery engine): a member cluster is not synced"),
  MF4060: live('an east-west gateway the plan needs is missing or has no address'),
  MF4061: live("a remote's `remotePilotAddress` is not its primary's gateway address"),
  MF4062: live('expose-istiod or expose-services objects the plan needs are missing'),
  MF4063: live("a remote's injection webhook does not point at its primary"),
  MF4070: live('on one network, the live pod or service ranges of two clusters overlap'),
  MF4071: live('a Service with endpoints in another cluster is absent here and DNS proxying is off: calls to it from here do not resolve (warning)'),
  MF4072: live('a DestinationRule fails over by locality without outlier detection (no failover happens), or has outlier detection that turns failover on unasked (warning)'),
  MF4080: live("the real `istioctl analyze` reports a warning or error (its IST code in the evidence), or could not run"),

  // Writing rendered files: the folder and file are named, never contents.
  MF3801: { meaning: 'the output folder is not empty and holds no manifest of a previous render', layer: 'render', category: 'failed' },
  MF3802: { meaning: 'a path render would write through is a symlink, or not a regular file or folder', layer: 'render', category: 'failed' },
  MF3803: { meaning: 'a file render would write exists and was not written by a previous render', layer: 'render', category: 'failed' },
  MF3804: { meaning: "the output folder's manifest cannot be read", layer: 'render', category: 'failed' },
  MF3805: { meaning: 'a rendered file cannot be written', layer: 'render', category: 'failed' },

  MF5001: { meaning: 'invalid certificate options (validity days, key algorithm, serial number)', layer: 'pki', category: 'failed', name: 'invalidOptions' },
  MF5002: { meaning: 'a cluster name cannot name a certificate folder, or is listed twice', layer: 'pki', category: 'failed', name: 'invalidClusterName' },
  MF5003: { meaning: 'the trust folder holds part of a root CA', layer: 'pki', category: 'failed', name: 'rootIncomplete' },
  MF5004: { meaning: 'the trust folder has no root CA', layer: 'pki', category: 'failed', name: 'rootMissing' },
  MF5005: { meaning: "a cluster's intermediate CA files are incomplete", layer: 'pki', category: 'failed', name: 'bundleIncomplete' },
  MF5006: { meaning: 'a cluster has no intermediate CA', layer: 'pki', category: 'failed', name: 'bundleMissing' },
  MF5007: { meaning: 'an intermediate is not signed by the root (chain mismatch)', layer: 'pki', category: 'failed', name: 'chainMismatch' },
  MF5008: { meaning: 'a key does not match its certificate', layer: 'pki', category: 'failed', name: 'keyMismatch' },
  MF5009: { meaning: '--rotate names a cluster the mesh does not have', layer: 'pki', category: 'usage', name: 'unknownRotateCluster' },
  MF5010: { meaning: 'a PEM file is malformed', layer: 'pki', category: 'failed', name: 'malformedPem' },
  MF5011: { meaning: 'a key of an unsupported type', layer: 'pki', category: 'failed', name: 'unsupportedKey' },
  MF5012: { meaning: 'a file of the trust folder cannot be read or written', layer: 'pki', category: 'failed', name: 'io' },
  MF5013: { meaning: 'a certificate file holds more than one certificate, or not a CA certificate', layer: 'pki', category: 'failed', name: 'invalidCertificate' },
  MF5014: { meaning: 'a root or intermediate has expired', layer: 'pki', category: 'failed', name: 'expired' },
  MF5015: { meaning: 'a root or intermediate is not valid yet', layer: 'pki', category: 'failed', name: 'notYetValid' },
  MF5016: { meaning: 'an intermediate is valid after its root expires', layer: 'pki', category: 'failed', name: 'outlivesRoot' },
  MF5017: { meaning: 'the trust folder has no `root-cert.pem` to check the cluster bundles against', layer: 'pki', category: 'failed', name: 'noMeshRoot' },
  MF5018: { meaning: 'a `ca-key.pem` is readable by group or others', layer: 'pki', category: 'failed', name: 'keyReadableByOthers' },
  MF5030: { meaning: 'the root rotation files of the trust folder do not fit together (stage file, next or previous root)', layer: 'pki', category: 'failed', name: 'rootRotationState' },
  MF5031: { meaning: 'a root rotation step cannot be taken now (see the hint for what comes first)', layer: 'pki', category: 'usage', name: 'rootRotationOrder' },

  MF6001: { meaning: 'the mesh is not a lab mesh (no `spec.lab`) or has no clusters', layer: 'lab', category: 'usage', name: 'notALabMesh' },
  MF6002: { meaning: 'a lab address or range is not usable (apiServer not https on its own loopback address, a CIDR not IPv4 or too small, no load balancer pool)', layer: 'lab', category: 'failed', name: 'invalidAddress' },
  MF6003: { meaning: 'no Go toolchain to build the lab with', layer: 'lab', category: 'failed', name: 'noGoToolchain' },
  MF6004: { meaning: 'building a lab binary failed (its last lines are shown)', layer: 'lab', category: 'failed', name: 'buildFailed' },
  MF6005: { meaning: 'a lab binary is missing after the build', layer: 'lab', category: 'failed', name: 'binaryMissing' },
  MF6006: { meaning: 'a port the lab needs is in use', layer: 'lab', category: 'failed', name: 'portInUse' },
  MF6007: { meaning: 'a lab component exited (its log tail is shown)', layer: 'lab', category: 'failed', name: 'componentExited' },
  MF6008: { meaning: 'a lab component did not become ready in time', layer: 'lab', category: 'failed', name: 'notReady' },
  MF6009: { meaning: "openssl failed while making the lab's certificates", layer: 'lab', category: 'failed', name: 'opensslFailed' },
  MF6010: { meaning: 'the lab load balancer is not compiled (run `npm run build`)', layer: 'lab', category: 'failed', name: 'loadBalancerMissing' },
  MF6011: { meaning: 'a lab process could not be stopped', layer: 'lab', category: 'failed', name: 'stopFailed' },
  MF6012: { meaning: "the lab's state cannot be read", layer: 'lab', category: 'failed', name: 'stateUnreadable' },
  MF6013: { meaning: "the lab cannot write its API server addresses into the mesh file", layer: 'lab', category: 'failed', name: 'meshFileUpdate' },
  MF6014: { meaning: "the lab's pod network (network namespaces, links, routes) could not be made or changed", layer: 'lab', category: 'failed', name: 'podNetwork' },

  MF7001: { meaning: 'Kubernetes API unreachable', layer: 'kube', category: 'unreachable', name: 'unreachable' },
  MF7002: { meaning: 'Kubernetes API: unauthorized (credentials rejected)', layer: 'kube', category: 'failed', name: 'unauthorized' },
  MF7003: { meaning: 'Kubernetes API: forbidden (RBAC)', layer: 'kube', category: 'failed', name: 'forbidden' },
  MF7004: { meaning: 'Kubernetes API: conflict', layer: 'kube', category: 'failed', name: 'conflict' },
  MF7005: { meaning: 'Kubernetes API: not found', layer: 'kube', category: 'failed', name: 'notFound' },
  MF7006: { meaning: 'Kubernetes API: the object is invalid', layer: 'kube', category: 'failed', name: 'invalid' },
  MF7007: { meaning: 'Kubernetes API: timeout', layer: 'kube', category: 'failed', name: 'timeout' },
  MF7099: { meaning: 'Kubernetes API: other failure (with cluster and resource)', layer: 'kube', category: 'failed', name: 'unknown' },

  MF8001: { meaning: 'istioctl is missing or failed (its last lines are shown)', layer: 'apply', category: 'failed' },
  MF8002: { meaning: 'a wait ran past its deadline (`--timeout`)', layer: 'apply', category: 'failed' },
  MF8003: { meaning: 'the trust folder has no intermediate for the cluster', layer: 'apply', category: 'failed' },
  MF8006: { meaning: "a watched cluster's reader token is not filled in", layer: 'apply', category: 'failed' },
  MF8007: { meaning: 'helm is missing or failed (its last lines are shown)', layer: 'apply', category: 'failed' },
  MF8020: { meaning: 'istiod did not load the new cacerts (its log line is shown)', layer: 'apply', category: 'failed' },
  MF8021: { meaning: 'a root rotation stage cannot be shipped yet: workloads named in the message first need a restart or renewal', layer: 'apply', category: 'failed' },
  MF8022: { meaning: "the root rotation cannot end (the old root's key is kept): a cluster has not taken stage drop-old, or a workload still chains to the old root", layer: 'apply', category: 'failed' },
  MF8030: { meaning: 'an old Istio revision is still used by pods, so it is not removed (canary)', layer: 'apply', category: 'failed' },
  MF8031: { meaning: "an in-place upgrade did not verify in time (istiod not Ready on the new image, or a cluster it watches not synced in its /debug/clusterz): the cluster's record keeps the old version and the clusters after it wait", layer: 'apply', category: 'failed' },

  MF9001: { meaning: "a remote secret's kubeconfig is empty", layer: 'discovery', category: 'failed', name: 'emptyKubeconfig' },
  MF9002: { meaning: "a remote secret's kubeconfig is not base64", layer: 'discovery', category: 'failed', name: 'notBase64' },
  MF9003: { meaning: "a remote secret's kubeconfig is not YAML", layer: 'discovery', category: 'failed', name: 'notYaml' },
  MF9004: { meaning: "a remote secret's kubeconfig is incomplete", layer: 'discovery', category: 'failed', name: 'invalidKubeconfig' },
  MF9005: { meaning: "a remote secret's kubeconfig runs a program (exec, auth-provider)", layer: 'discovery', category: 'failed', name: 'kubeconfigNotAllowed' },
  MF9006: { meaning: 'a cluster did not sync in time', layer: 'discovery', category: 'unreachable', name: 'syncTimeout' },
  MF9007: { meaning: "a cluster's watch failed", layer: 'discovery', category: 'unreachable', name: 'watchFailed' },
  MF9008: { meaning: 'no client could be made for a cluster', layer: 'discovery', category: 'failed', name: 'clientFailed' },
  MF9009: { meaning: "a cluster's API server stopped answering while its watches were open", layer: 'discovery', category: 'unreachable', name: 'unresponsive' },
  MF9010: { meaning: "a remote secret's kubeconfig reads a local file", layer: 'discovery', category: 'failed', name: 'kubeconfigReadsFile' },
  MF9011: { meaning: "a remote secret's kubeconfig is ambiguous (repeated names or keys, merge keys)", layer: 'discovery', category: 'failed', name: 'kubeconfigAmbiguous' },
  MF9012: { meaning: "a remote secret's kubeconfig holds a field outside the allow-list", layer: 'discovery', category: 'failed', name: 'kubeconfigUnknownField' },
  MF9501: { meaning: 'API: no such route', layer: 'serve', category: 'usage' },
  MF9502: { meaning: 'API: no such service', layer: 'serve', category: 'usage' },
  MF9503: { meaning: 'API: bad query parameter', layer: 'serve', category: 'usage' },
  MF9504: { meaning: 'API: method not allowed', layer: 'serve', category: 'usage' },
  MF9505: { meaning: 'API: malformed request target or encoding', layer: 'serve', category: 'usage' },
  MF9506: { meaning: 'API: Host header is not the address it serves on (DNS rebinding)', layer: 'serve', category: 'usage' },
  MF9507: { meaning: 'API: request too large (a body, or headers over the limit)', layer: 'serve', category: 'usage' },
  MF9508: { meaning: 'API: missing or wrong bearer token', layer: 'serve', category: 'usage' },
  MF9509: { meaning: 'API: too many event streams open', layer: 'serve', category: 'usage' },
  MF9510: { meaning: 'API: a handler failed (a bug in meshfed; the server keeps serving)', layer: 'serve', category: 'internal' },
  MF9511: { meaning: 'serve: binding off loopback needs a token (--token-file or MESHFED_SERVE_TOKEN)', layer: 'serve', category: 'usage' },
  MF9512: { meaning: 'dashboard: the page is not built (run `npm run build`)', layer: 'serve', category: 'failed' },
  MF9520: { meaning: 'dns: the mesh file is not in `services.discovery: mcs` (there is no clusterset.local to answer for)', layer: 'dns', category: 'usage' },
  MF9521: { meaning: 'dns: `--cluster` names no cluster of the mesh file', layer: 'dns', category: 'usage' },
  MF9522: { meaning: 'dns: the address and port cannot be bound (in use, or not an address of this machine)', layer: 'dns', category: 'failed' },
} as const satisfies Record<string, Entry>;

type Catalogue = typeof ERROR_CATALOGUE;
export type ErrorCode = keyof Catalogue;

/** The codes one layer raises, keyed by code. */
export type CodesOf<L extends ErrorLayer> = { [C in ErrorCode as Catalogue[C]['layer'] extends L ? C : never]: Catalogue[C]['meaning'] };
/** The codes one layer raises by name: name → code. */
export type NamedCodesOf<L extends ErrorLayer> = { [C in ErrorCode as Catalogue[C] extends { layer: L; name: infer N extends string } ? N : never]: C };

const entries = () => Object.entries(ERROR_CATALOGUE) as [ErrorCode, Entry][];

/** code → meaning for the codes of one layer (e.g. topology's diagnostics). */
export function codesOf<L extends ErrorLayer>(layer: L): CodesOf<L> {
  return Object.fromEntries(entries().filter(([, e]) => e.layer === layer).map(([c, e]) => [c, e.meaning])) as CodesOf<L>;
}

/** name → code for a layer that raises its codes by name (kube's reasons, pki, lab, discovery). */
export function namedCodesOf<L extends ErrorLayer>(layer: L): NamedCodesOf<L> {
  return Object.fromEntries(entries().filter(([, e]) => e.layer === layer && e.name !== undefined).map(([c, e]) => [e.name, c])) as NamedCodesOf<L>;
}

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CATALOGUE, code);
}

/** The category of a code; an unknown code (a bug) is internal. */
export function categoryOf(code: string): ErrorCategory {
  return isErrorCode(code) ? ERROR_CATALOGUE[code].category : 'internal';
}
