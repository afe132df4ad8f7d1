import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { MeshfedError } from '../../src/errors/index.js';
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
  ] as const)('HTTP %i → %s', (status, reason) => {
    const body = JSON.stringify({ kind: 'Status', message: `the server said ${status}` });
    const err = toKubeError(new ApiException(status, 'fail', body, {}), where);
    expect(err).toBeInstanceOf(KubeError);
    expect(err.reason).toBe(reason);
    expect(err.code).toBe(KUBE_ERROR_CODES[reason]);
    expect(err.status).toBe(status);
    expect(err.message).toContain(`the server said ${status}`);
    expect(err.cluster).toBe('east');
    expect(err.resource).toBe('configmaps/default/x');
    expect(err.hint.length).toBeGreaterThan(10);
  });

  it('connection refused (also when wrapped) → unreachable; socket timeout → timeout', () => {
    expect(toKubeError(Object.assign(new Error('connect ECONNREFUSED 127.0.2.1:6443'), { code: 'ECONNREFUSED' }), where).reason).toBe('unreachable');
    const wrapped = Object.assign(new Error('request to https://127.0.2.1:6443 failed'), { cause: { code: 'ECONNREFUSED' } });
    expect(toKubeError(wrapped, where).reason).toBe('unreachable');
    expect(toKubeError(Object.assign(new Error('x'), { errno: 'ETIMEDOUT' }), where).reason).toBe('timeout');
  });

  it('anything else → unknown, and a KubeError passes through unchanged', () => {
    const e = toKubeError(new Error('odd'), where);
    expect(e.reason).toBe('unknown');
    expect(toKubeError(e, { cluster: 'other', resource: 'r' })).toBe(e);
  });

  it('keeps what was thrown as ES2022 Error.cause, and is a MeshfedError whose category decides the exit code', () => {
    const thrown = Object.assign(new Error('connect ECONNREFUSED 127.0.2.1:6443'), { code: 'ECONNREFUSED' });
    const e = toKubeError(thrown, where);
    expect(e.cause).toBe(thrown);
    expect(e).toBeInstanceOf(MeshfedError);
    expect([e.code, e.category]).toEqual(['MF7001', 'unreachable']);
    const denied = toKubeError(new ApiException(403, 'fail', '{}', {}), where);
    expect([denied.code, denied.category]).toEqual(['MF7003', 'failed']);
  });
});
