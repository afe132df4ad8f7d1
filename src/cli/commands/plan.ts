import { stringify } from 'yaml';
import { planAsData, planMesh, summarizePlan } from '../../plan/index.js';
import type { Io } from '../io.js';
import { loadMesh } from '../mesh.js';

export async function planCommand(opts: { file: string; output: string }, io: Io): Promise<void> {
  const { mesh } = await loadMesh(opts.file, io);
  const plan = planMesh(mesh);
  if (opts.output === 'json') io.out(JSON.stringify(planAsData(plan), null, 2) + '\n');
  else if (opts.output === 'yaml') io.out(stringify(planAsData(plan), { lineWidth: 0 }));
  else io.out(summarizePlan(plan));
}
