export { ERROR_CATALOGUE, categoryOf, codesOf, isErrorCode, namedCodesOf, type CodesOf, type ErrorCategory, type ErrorCode, type ErrorLayer, type NamedCodesOf } from './catalogue.js';
export { MeshfedError, isMeshfedError, type MeshfedErrorInit } from './error.js';
export { CODE_TABLES, codeTable, codeTables, withCodeTables, type CodeTable } from './tables.js';
export { redactSecrets, redactUrl } from './redact.js';
