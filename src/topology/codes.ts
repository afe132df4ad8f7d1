import { codesOf } from '../errors/index.js';

/**
 * Every diagnostic code meshfed emits about a mesh file, with its one-line meaning: the
 * topology layer's part of the one catalogue (src/errors/catalogue.ts).
 */
export const DIAGNOSTIC_CODES = codesOf('topology');

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;
