import { meshSchema } from '../../topology/index.js';
import type { Io } from '../io.js';

export function schemaCommand(io: Io): void {
  io.out(JSON.stringify(meshSchema, null, 2) + '\n');
}
