/** kwok's own CRDs (copied from its module by scripts/build-lab.sh) for the objects the lab writes. */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { getObject, type KubeClients, type KubeObject } from '../kube/index.js';

export function readKwokCrds(files: string[]): KubeObject[] {
  return files.flatMap((f) =>
    parseAllDocuments(readFileSync(f, 'utf8'))
      .map((d) => d.toJS() as KubeObject | null)
      .filter((o): o is KubeObject => o !== null && o.kind === 'CustomResourceDefinition'),
  );
}

/** True once every CRD is Established (its kind can be written), else what is still missing. */
export async function kwokCrdsEstablished(clients: KubeClients, crds: KubeObject[]): Promise<true | string> {
  for (const crd of crds) {
    const live = (await getObject(clients, { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: crd.metadata.name })) as
      | (KubeObject & { status?: { conditions?: { type?: string; status?: string }[] } })
      | undefined;
    if (!live?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return `CRD ${crd.metadata.name} not established yet`;
  }
  return true;
}
