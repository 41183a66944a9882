import type { Command } from '../command';

// Every command of `kmodel`, one module each. Add new commands here.
export const commands: Command[] = [];
