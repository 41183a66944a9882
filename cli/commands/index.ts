import type { Command } from '../command';
import { btfDump } from './btf-dump';
import { btfFind } from './btf-find';
import { asm } from './asm';
import { disasm } from './disasm';
import { jit } from './jit';
import { modelCheck } from './model-check';
import { modelShow } from './model-show';
import { run } from './run';
import { serve } from './serve';

// Every command of `kmodel`, one module each. Add new commands here.
export const commands: Command[] = [btfDump, btfFind, asm, disasm, jit, modelCheck, modelShow, run, serve];
