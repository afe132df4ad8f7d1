import type { ChecksView } from '../serve/checks.js';
import type { TopologyView } from '../serve/topology.js';
import type { ServiceSummary } from '../serve/views.js';
import type { Endpoint, NetworkView } from '../discovery/index.js';
import type { TrustSummary } from '../pki/types.js';

export type { ChecksView, TopologyView, ServiceSummary, Endpoint, NetworkView, TrustSummary };

/** Same-origin GETs only: the page sends no credential of any kind (no token, no cookie). */
async function getJson<T>(path: string): Promise<T> {
  const r = await fetch(path, { credentials: 'omit', headers: { accept: 'application/json' } });
  const body = (await r.json()) as T & { error?: { code: string; message: string; hint: string } };
  if (!r.ok) throw new Error(body.error ? `${body.error.code}: ${body.error.message} (${body.error.hint})` : `HTTP ${r.status}`);
  return body;
}

const enc = encodeURIComponent;
export const api = {
  topology: () => getJson<TopologyView>('/api/v1/topology'),
  services: () => getJson<{ services: ServiceSummary[] }>('/api/v1/services').then((b) => b.services),
  endpoints: (hostname: string) => getJson<{ hostname: string; endpoints: Endpoint[] }>(`/api/v1/services/${enc(hostname)}/endpoints`),
  networkView: (hostname: string, network: string) => getJson<NetworkView>(`/api/v1/services/${enc(hostname)}/endpoints?network=${enc(network)}`),
  trust: () => getJson<TrustSummary>('/api/v1/trust'),
  checks: () => getJson<ChecksView>('/api/v1/checks'),
};

/** What each `change` event of /api/v1/events carries. */
export interface ChangeEvent {
  seq: number;
  at: string;
  clusters: { clusterId: string; state: string; lastError?: { code: string; message: string } }[];
  services: number;
  endpoints: number;
}
