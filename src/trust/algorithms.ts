/**
 * The trust settings that both the mesh file (topology) and the CAs (pki) speak about. A leaf
 * like src/errors: it imports nothing, so topology and pki, which import nothing else of ours,
 * share this one list instead of each writing it out.
 */

/** Key algorithms a meshfed CA can be issued with. */
export const KEY_ALGORITHMS = ['rsa-4096', 'rsa-2048', 'ecdsa-p256'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/** Mirrors istio/tools/certs (Makefile.selfsigned.mk): RSA 4096, 3650 days for both CAs. */
export const TRUST_DEFAULTS = Object.freeze({
  keyAlgorithm: 'rsa-4096' as KeyAlgorithm,
  rootValidityDays: 3650,
  intermediateValidityDays: 3650,
});

/** The longest validity a CA may have: notAfter stays well inside X.509's GeneralizedTime range. */
export const MAX_VALIDITY_DAYS = 36_500;
