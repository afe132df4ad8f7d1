export { renderMesh, type RenderedFile, type RenderOptions, type RenderResult } from './render.js';
export { MANIFEST_FILE, writeRendered } from './write.js';
export { RENDER_ERROR_CODES, RenderError, type RenderErrorCode } from './errors.js';
export { istioOperator, helmBaseValues, helmIstiodValues, addressPlaceholder, type RenderInputs } from './istio.js';
export { eastWestGatewayOperator, helmGatewayValues, EASTWEST_PORTS, LB_IPS_ANNOTATION } from './gateway.js';
export { exposeIstiod, exposeServices } from './expose.js';
export { namespace, cacertsSecret, remoteReader, routesScript, type CaCertFiles } from './cluster.js';
export { toYaml, toYamlDocuments } from './yaml.js';
export { HELM_RELEASES, HELM_CHARTS } from './helm.js';
