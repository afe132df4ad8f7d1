export * from './api.js';
export { MCS_API_MODULE, MCS_CRD_SHA256, serviceExportCrdYaml, serviceImportCrdYaml } from './crds.js';
