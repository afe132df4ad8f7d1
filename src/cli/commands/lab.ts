import type { Command } from 'commander';
import type { Io } from '../io.js';

// Wired to src/lab once the lab layer lands.
export function registerLabCommands(_program: Command, _io: Io): void {}
