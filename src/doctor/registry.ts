import type { Check } from './check.js';
import { authorized, reachable } from './checks/access.js';
import { istiodRunning, istioVersion, meshId, trustDomain } from './checks/consistency.js';
import { exposed, gatewayAddress, remoteInjection, remotePilotAddress } from './checks/gateways.js';
import { gatewayNetworkLabel, gatewayNetworkView, namespaceLabels } from './checks/network.js';
import { secretCredentials, secretDuplicate, secretPermissions, secretPresent, secretServer, secretUnknown } from './checks/remoteSecrets.js';
import { istioAnalyze } from './checks/analyze.js';
import { failoverOutlier } from './checks/failover.js';
import { liveRanges } from './checks/ranges.js';
import { serviceResolves } from './checks/services.js';
import { membersSynced } from './checks/sync.js';
import { cacertsChain, cacertsExpiry, cacertsPresent, workloadRoot } from './checks/trust.js';

/** Every check doctor runs, in the order it prints them. Each code appears once. */
export const CHECKS: readonly Check[] = [
  reachable,
  authorized,
  istiodRunning,
  meshId,
  trustDomain,
  istioVersion,
  namespaceLabels,
  gatewayNetworkLabel,
  gatewayNetworkView,
  secretPresent,
  secretUnknown,
  secretDuplicate,
  secretServer,
  secretCredentials,
  secretPermissions,
  membersSynced,
  cacertsPresent,
  cacertsChain,
  cacertsExpiry,
  workloadRoot,
  gatewayAddress,
  remotePilotAddress,
  exposed,
  remoteInjection,
  liveRanges,
  serviceResolves,
  failoverOutlier,
  istioAnalyze,
];

export const checkByCode = (code: string): Check | undefined => CHECKS.find((c) => c.code === code);
