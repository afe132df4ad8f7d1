import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAB_ERROR_CODES, LabError } from './errors.js';

/**
 * The compiled entry of the lab load balancer. From dist/ it sits next to this module; when
 * this module runs from its TypeScript source (tests), the compiled copy in dist/ is used, so
 * a detached process never depends on a TypeScript loader.
 */
export function loadBalancerEntry(moduleUrl: string = import.meta.url, file = 'loadBalancerMain.js', what = 'the lab load balancer (stands in for MetalLB)'): string {
  const here = dirname(fileURLToPath(moduleUrl));
  const candidate = moduleUrl.endsWith('.ts') ? resolve(here, '..', '..', 'dist', 'lab', file) : join(here, file);
  if (!existsSync(candidate)) {
    throw new LabError({ code: LAB_ERROR_CODES.loadBalancerMissing, message: `${what} is not compiled: ${candidate} is missing`, hint: 'run `npm run build` first' });
  }
  return candidate;
}

/** The compiled entry of the lab pod runner (podRunnerMain.ts), found the same way. */
export const podRunnerEntry = (moduleUrl: string = import.meta.url): string => loadBalancerEntry(moduleUrl, 'podRunnerMain.js', 'the lab pod runner');

/** The compiled pod side of the lab's API bridge (apiBridgeMain.ts). */
export const apiBridgeEntry = (moduleUrl: string = import.meta.url): string => loadBalancerEntry(moduleUrl, 'apiBridgeMain.js', "the lab's API bridge");

/** The compiled lab log shim (criLogMain.ts), which writes a lab pod's output as CRI records. */
export const criLogEntry = (moduleUrl: string = import.meta.url): string => loadBalancerEntry(moduleUrl, 'criLogMain.js', 'the lab log shim');
