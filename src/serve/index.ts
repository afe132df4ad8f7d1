export { apiHandler } from './api.js';
export { startServer, type RunningServer, type ServerOptions } from './server.js';
export { isLoopback } from './guard.js';
export { servicesView, endpointsView, type EndpointsQuery } from './views.js';
export { SERVE_ERROR_CODES, type ApiError, type ServeErrorCode } from './errors.js';
export type { RegistrySource } from './source.js';
