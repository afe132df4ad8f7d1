import { EASTWEST_GATEWAY, istiodName } from '../plan/index.js';

/** Helm release names, as the rendered values files' comments and `meshfed apply` use them. */
export const HELM_RELEASES = {
  base: 'istio-base',
  /** A revisioned control plane is its own release, so canary upgrades can run side by side. */
  istiod: istiodName,
  gateway: EASTWEST_GATEWAY,
} as const;

/** Istio's chart of each release (in the `istio` Helm repository, or a folder of charts). */
export const HELM_CHARTS = { base: 'base', istiod: 'istiod', gateway: 'gateway' } as const;
