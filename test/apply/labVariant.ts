// No vitest here: bench scripts import it outside the test runner.
import { readFile } from 'node:fs/promises';
import { parseDocument, type YAMLMap, type YAMLSeq } from 'yaml';

/**
 * A bundled example turned into a lab mesh: the same topology, with the lab's loopback API
 * servers, contexts named `lab-<cluster>` and fast ECDSA keys. Comments and layout stay.
 */
export async function labVariant(example: string, ips: readonly string[], opts: { drop?: string[]; pools?: Record<string, string> } = {}): Promise<string> {
  const doc = parseDocument(await readFile(example, 'utf8'));
  doc.setIn(['spec', 'lab'], doc.createNode({ nodes: 1 }));
  doc.setIn(['spec', 'trust', 'keyAlgorithm'], 'ecdsa-p256');
  const clusters = doc.getIn(['spec', 'clusters']) as YAMLSeq<YAMLMap>;
  const kept = clusters.items.filter((c) => !(opts.drop ?? []).includes(String(c.get('name'))));
  clusters.items = kept;
  kept.forEach((c, i) => {
    const ip = ips[i];
    if (!ip) throw new Error(`labVariant: no loopback address for cluster ${i + 1} of ${example}`);
    c.set('context', `lab-${String(c.get('name'))}`);
    c.set('apiServer', `https://${ip}:6443`);
    c.delete('nodeAddress');
    // The lab has no cloud load balancer: a cluster whose gateway would get its address from
    // one needs a pool here.
    const pool = opts.pools?.[String(c.get('name'))];
    if (pool) c.set('loadBalancerPool', pool);
  });
  return doc.toString();
}
