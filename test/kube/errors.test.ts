import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KUBE_ERROR_CODES, KubeError, toKubeError } from '../../src/kube/index.js';

const where = { cluster: 'east', resource: 'configmaps/default/x' };

describe('toKubeError', () => {
  it.each([
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [404, 'notFound'],
    [409, 'conflict'],
    [422, 'invalid'],
    [504, 'timeout'],
    [500, 'unknown'],
  ] as const)('HTTP %i → %s', (status, cause) => {
    const body = JSON.stringify({ kind: 'Status', message: `the server said ${status}` });
    const err = toKubeError(new ApiException(status, 'fail', body, {}), where);
    expect(err).toBeInstanceOf(KubeError);
    expect(err.cause).toBe(cause);
    expect(err.code).toBe(KUBE_ERROR_CODES[cause]);
    expect(err.status).toBe(status);
    expect(err.message).toContain(`the server said ${status}`);
    expect(err.cluster).toBe('east');
    expect(err.resource).toBe('configmaps/default/x');
    expect(err.hint.length).toBeGreaterThan(10);
  });

  it('connection refused (also when wrapped) → unreachable; socket timeout → timeout', () => {
    expect(toKubeError(Object.assign(new Error('connect ECONNREFUSED 127.0.2.1:6443'), { code: 'ECONNREFUSED' }), where).cause).toBe('unreachable');
    const wrapped = Object.assign(new Error('request to https://127.0.2.1:6443 failed'), { cause: { code: 'ECONNREFUSED' } });
    expect(toKubeError(wrapped, where).cause).toBe('unreachable');
    expect(toKubeError(Object.assign(new Error('x'), { errno: 'ETIMEDOUT' }), where).cause).toBe('timeout');
  });

  it('anything else → unknown, and a KubeError passes through unchanged', () => {
    const e = toKubeError(new Error('odd'), where);
    expect(e.cause).toBe('unknown');
    expect(toKubeError(e, { cluster: 'other', resource: 'r' })).toBe(e);
  });
});
