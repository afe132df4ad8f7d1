// Rewrites the README's code tables from the one catalogue (src/errors/catalogue.ts).
// test/errors/catalogue.test.ts fails while the README and the catalogue differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { withCodeTables } from '../src/errors/index.js';

const path = new URL('../README.md', import.meta.url);
const before = readFileSync(path, 'utf8');
const after = withCodeTables(before);
if (after !== before) writeFileSync(path, after);
process.stdout.write(after === before ? 'README code tables already match the catalogue\n' : 'README code tables rewritten from the catalogue\n');
