import type { Command } from '../command';
import { serve } from './serve';

// Every command of `kmodel`, one module each. Add new commands here.
export const commands: Command[] = [serve];
