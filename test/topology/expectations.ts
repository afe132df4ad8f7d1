import type { Expected } from './helpers.js';

/**
 * Every file under bad/ with the diagnostics it must produce, in the order they must be
 * reported (by position). Lines and columns were counted by hand from the files: they
 * point at the offending value, at the key of an unknown field, or at the object that
 * lacks something. Each list is exhaustive: any other diagnostic fails the test.
 */
export const BAD_FILES: Record<string, Expected[]> = {
  // MF1xxx: the file is not one YAML document.
  'mf1001-duplicate-key.yaml': [['MF1001', 'error', 6, 3]],
  'mf1001-tab-indent.yaml': [['MF1001', 'error', 7, 1]],
  'mf1002-two-documents.yaml': [['MF1002', 'error', 10, 1]],
  'mf1002-no-document.yaml': [['MF1002', 'error', 1, 1]],
  // The first collection past the 64th level.
  'mf1006-too-deep.yaml': [['MF1006', 'error', 8, 74]],
  // The alias at which the expansion passes 100,000 values.
  'mf1007-alias-bomb.yaml': [['MF1007', 'error', 14, 42]],
  'mf1008-unresolved-alias.yaml': [['MF1008', 'error', 10, 21]],
  'mf1009-alias-cycle.yaml': [['MF1009', 'error', 8, 23]],

  // MF2xxx: the document does not match the schema.
  'mf2001-missing-spec.yaml': [['MF2001', 'error', 2, 1]],
  'mf2001-missing-cluster-name.yaml': [['MF2001', 'error', 11, 7]],
  'mf2002-unknown-fields.yaml': [
    ['MF2002', 'error', 9, 5],
    ['MF2002', 'error', 13, 7],
  ],
  'mf2003-wrong-type.yaml': [
    ['MF2003', 'error', 8, 23],
    ['MF2003', 'error', 12, 17],
  ],
  'mf2004-not-allowed.yaml': [
    ['MF2004', 'error', 3, 7],
    ['MF2004', 'error', 8, 16],
    ['MF2004', 'error', 10, 19],
  ],
  'mf2005-infinite-days.yaml': [
    ['MF2005', 'error', 8, 23],
    ['MF2005', 'error', 9, 31],
  ],
  'mf2005-out-of-range.yaml': [
    ['MF2005', 'error', 8, 23],
    ['MF2005', 'error', 10, 12],
    ['MF2005', 'error', 14, 17],
  ],
  'several-schema-problems.yaml': [
    ['MF2003', 'error', 11, 17],
    ['MF2001', 'error', 12, 7],
    ['MF2002', 'error', 12, 7],
    ['MF2004', 'error', 14, 16],
  ],

  // MF30xx: names and control planes.
  'mf3001-names.yaml': [
    ['MF3001', 'error', 5, 9],
    ['MF3001', 'error', 8, 13],
    ['MF3001', 'error', 10, 16],
  ],
  'mf3002-duplicate-cluster-name.yaml': [['MF3002', 'error', 13, 13]],
  'mf3003-unknown-control-plane.yaml': [['MF3003', 'error', 16, 21]],
  'mf3004-mf3005-remote-of-remote.yaml': [
    ['MF3005', 'error', 17, 21],
    ['MF3004', 'error', 23, 21],
  ],
  'mf3006-names-itself.yaml': [['MF3006', 'error', 16, 21]],
  'mf3007-no-primary.yaml': [
    ['MF3007', 'error', 8, 5],
    ['MF3006', 'error', 10, 21],
  ],

  // MF301x: address ranges.
  'mf3010-overlapping-ranges.yaml': [
    ['MF3010', 'error', 19, 18],
    ['MF3010', 'error', 20, 36],
  ],
  'mf3011-not-canonical.yaml': [
    ['MF3011', 'error', 10, 18],
    ['MF3011', 'error', 11, 22],
    ['MF3011', 'error', 12, 20],
    ['MF3011', 'error', 13, 25],
  ],
  'mf3022-host-not-canonical.yaml': [['MF3022', 'error', 9, 18]],
  'mf3011-bad-cidrs.yaml': [
    ['MF3011', 'error', 10, 20],
    ['MF3011', 'error', 11, 18],
    ['MF3011', 'error', 12, 22],
    ['MF3011', 'error', 13, 25],
  ],

  // MF302x: API servers and routes.
  'mf3020-loopback.yaml': [
    ['MF3020', 'error', 9, 18],
    ['MF3020', 'error', 14, 18],
    ['MF3020', 'error', 19, 18],
  ],
  'mf3021-plain-http.yaml': [['MF3021', 'error', 9, 18]],
  'mf3022-not-a-url.yaml': [
    ['MF3022', 'error', 9, 18],
    ['MF3022', 'error', 14, 18],
  ],
  'mf3023-missing-api-server.yaml': [['MF3023', 'warning', 13, 7]],
  'mf3024-missing-node-address.yaml': [['MF3024', 'warning', 14, 7]],

  // MF303x: trust and Istio.
  'mf3030-trust-domain.yaml': [['MF3030', 'error', 8, 18]],
  'mf3031-istio-version.yaml': [['MF3031', 'error', 8, 14]],
  'mf3032-revision.yaml': [['MF3032', 'error', 9, 15]],

  // MF304x: networks, gateways, contexts.
  'mf3040-partial-networks.yaml': [['MF3040', 'error', 13, 7]],
  'mf3041-gateway-address.yaml': [
    ['MF3041', 'error', 12, 31],
    ['MF3041', 'error', 16, 31],
  ],
  'mf3050-control-characters.yaml': [
    ['MF3050', 'error', 9, 14],
    ['MF3050', 'error', 12, 16],
  ],
  'mf3042-duplicate-context.yaml': [
    ['MF3042', 'error', 13, 16],
    ['MF3042', 'error', 20, 13],
  ],
  'mf3060-cluster-local-host.yaml': [
    ['MF3060', 'error', 11, 9],
    ['MF3060', 'error', 12, 9],
  ],

  'several-rule-problems.yaml': [
    ['MF3021', 'error', 12, 18],
    ['MF3001', 'error', 16, 13],
    ['MF3010', 'error', 19, 18],
    ['MF3023', 'warning', 21, 7],
    ['MF3030', 'error', 26, 18],
  ],
};
