/**
 * Which pods the lab really runs (the rest stay kwok fakes): pods whose first container uses
 * an image the lab knows, mapped to Istio's own binaries. Pure.
 */
export type LabWorkload = { kind: 'istiod' } | { kind: 'echo-server'; version: string } | { kind: 'echo-client' };

export interface PodLike {
  metadata: { name: string; namespace: string; uid?: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec?: { nodeName?: string; containers?: { name: string; image?: string }[] };
  status?: { phase?: string; podIP?: string };
}

/** `docker.io/istio/examples-helloworld-v1:1.0` → `istio/examples-helloworld-v1`. */
export function imageRepository(image: string): string {
  const noDigest = image.split('@')[0] ?? image;
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  const noTag = colon > lastSlash ? noDigest.slice(0, colon) : noDigest;
  const parts = noTag.split('/');
  // A first part with a dot or colon (or "localhost") is a registry host.
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!)) parts.shift();
  return parts.join('/');
}

/**
 * Istio's pilot image (the istiod Deployment istioctl or Helm installed) runs as the real
 * `pilot-discovery`; seed 000's HelloWorld (istio/examples-helloworld-v1, -v2) and Istio's echo app (istio/app,
 * istio-testing/app) run as Istio's echo server, with the pod's `version` label (else the
 * image's -vN); seed 000's sleep (curlimages/curl) runs as Istio's echo client.
 */
export function labWorkloadOf(pod: PodLike): LabWorkload | undefined {
  const image = pod.spec?.containers?.[0]?.image;
  if (!image) return undefined;
  const repo = imageRepository(image);
  const label = pod.metadata.labels?.['version'];
  if (repo === 'istio/pilot') return { kind: 'istiod' };
  // docker.io/istio/… (Istio's samples until 1.2x) and registry.istio.io/release/… (since)
  const hello = /^(?:istio|release)\/examples-helloworld-(v\d+)$/.exec(repo);
  if (hello) return { kind: 'echo-server', version: label ?? hello[1]! };
  if (repo === 'istio/app' || repo === 'istio-testing/app') return { kind: 'echo-server', version: label ?? 'v1' };
  if (repo === 'curlimages/curl') return { kind: 'echo-client' };
  return undefined;
}

/** The pod IP the lab should give a namespace now, or undefined while it has none (or is going). */
export function runnablePodIP(pod: PodLike): string | undefined {
  if (pod.metadata.deletionTimestamp || pod.status?.phase !== 'Running') return undefined;
  return pod.status.podIP || undefined;
}
