import { describe, expect, it } from 'vitest';
import { LAB_CONTROLLERS, apiServerSpec, controllerManagerSpec, etcdSpec, kwokSpec, schedulerSpec } from '../../src/lab/components.js';
import { pkiPaths } from '../../src/lab/pki.js';
import { planLab } from '../../src/lab/index.js';
import { labMesh } from './helpers.js';

const plan = planLab(labMesh('m', [
  { name: 'east', apiServer: 'https://127.0.2.1:6443', podCIDRs: ['10.10.0.0/16'], serviceCIDRs: ['10.11.0.0/16'] },
  { name: 'west', apiServer: 'https://127.0.2.2:6443', podCIDRs: ['10.20.0.0/16'], serviceCIDRs: ['10.21.0.0/16'] },
]));
const west = plan.clusters[1]!;
const pki = pkiPaths('/state/clusters/west/pki');
const flag = (args: string[], name: string) => args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);

describe('component flags', () => {
  it('etcd listens on the first cluster address only, on tmpfs-friendly settings', () => {
    const s = etcdSpec('/bin/etcd', plan, '/dev/shm/x/etcd');
    expect(flag(s.args, '--listen-client-urls')).toBe('http://127.0.2.1:2379');
    expect(flag(s.args, '--listen-peer-urls')).toBe('http://127.0.2.1:2380');
    expect(s.args).toContain('--unsafe-no-fsync');
  });

  it('each API server has its own address, etcd prefix and service range', () => {
    const s = apiServerSpec('/bin/kube-apiserver', plan, west, pki);
    expect(flag(s.args, '--bind-address')).toBe('127.0.2.2');
    expect(flag(s.args, '--secure-port')).toBe('6443');
    expect(flag(s.args, '--etcd-servers')).toBe('http://127.0.2.1:2379');
    expect(flag(s.args, '--etcd-prefix')).toBe('/west/registry');
    expect(flag(s.args, '--service-cluster-ip-range')).toBe('10.21.0.0/16');
    expect(flag(s.args, '--endpoint-reconciler-type')).toBe('none');
    expect(flag(s.args, '--enable-priority-and-fairness')).toBe('false');
    expect(flag(s.args, '--authorization-mode')).toBe('RBAC');
    expect(flag(s.args, '--service-account-signing-key-file')).toBe(pki.serviceAccountKey);
    expect(s.env['GOMEMLIMIT']).toMatch(/MiB$/);
  });

  it('the controller-manager serves no port and runs the controllers the lab relies on', () => {
    const s = controllerManagerSpec('/bin/kcm', west, pki, '/k');
    expect(flag(s.args, '--secure-port')).toBe('0');
    expect(flag(s.args, '--leader-elect')).toBe('false');
    expect(flag(s.args, '--root-ca-file')).toBe(pki.ca.cert);
    const controllers = flag(s.args, '--controllers')?.split(',');
    for (const c of ['deployment-controller', 'replicaset-controller', 'endpointslice-controller', 'serviceaccount-token-controller', 'namespace-controller', 'garbage-collector-controller', 'node-lifecycle-controller']) {
      expect(controllers).toContain(c);
    }
    expect(controllers).toEqual([...LAB_CONTROLLERS]);
  });

  it('the scheduler opens no port; kwok hands out pod IPs from the pod range and serves exec/logs only on the cluster address', () => {
    expect(flag(schedulerSpec('/bin/s', west, '/k').args, '--secure-port')).toBe('0');
    const k = kwokSpec('/bin/kwok', west, '/k', ['/stages/a.yaml', '/stages/b.yaml'], pki, { PATH: '/state/kwok-exec/bin', MESHFED_HOST_PATH: '/usr/bin:/bin' });
    expect(flag(k.args, '--cidr')).toBe('10.20.0.0/16');
    expect(k.args.filter((a) => a.startsWith('--config='))).toEqual(['--config=/stages/a.yaml', '--config=/stages/b.yaml']);
    // kwok's own default with only --node-port is 0.0.0.0: its server asks no one for credentials.
    expect(flag(k.args, '--server-address')).toBe('127.0.2.2:10250');
    expect(flag(k.args, '--node-port')).toBe('10250');
    expect(flag(k.args, '--tls-cert-file')).toBe(pki.kubelet.cert);
    expect(flag(k.args, '--enable-crds')).toBe('Exec,Logs');
    expect(k.env['PATH']).toBe('/state/kwok-exec/bin');
    expect(k.env['MESHFED_HOST_PATH']).toBe('/usr/bin:/bin');
  });

  it('the API server reaches each node\'s kubelet (kwok) at its InternalIP and checks its certificate against the cluster CA', () => {
    const s = apiServerSpec('/bin/kube-apiserver', plan, west, pki);
    expect(flag(s.args, '--kubelet-preferred-address-types')).toBe('InternalIP');
    expect(flag(s.args, '--kubelet-certificate-authority')).toBe(pki.ca.cert);
  });
});
