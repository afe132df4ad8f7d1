/**
 * The lab's log shim, started detached beside a lab pod's process as
 * `node dist/lab/criLogMain.js <log file>`: it reads the process's stdout on its fd 0 and its
 * stderr on fd 3 and appends them to the pod's log file as CRI records (podLog.ts), the only
 * form `kubectl logs` (kwok's kubelet reader) shows. It ends when the process closes both.
 */
import { createReadStream } from 'node:fs';
import { podLogWriter } from './podLog.js';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: criLogMain.js <log file>\n');
  process.exitCode = 64;
} else {
  const writer = podLogWriter(file);
  void Promise.all([writer.follow('stdout', process.stdin), writer.follow('stderr', createReadStream('', { fd: 3 }))]).then(() => writer.close());
}
