import type { Command } from '../command';
import { asm } from './asm';
import { btfDump } from './btf-dump';
import { btfFind } from './btf-find';
import { btfKfuncs } from './btf-kfuncs';
import { compare } from './compare';
import { corpusCheck } from './corpus-check';
import { disasm } from './disasm';
import { exportCmd } from './export';
import { jit } from './jit';
import { modelCheck } from './model-check';
import { modelShow } from './model-show';
import { run } from './run';
import { serve } from './serve';
import { verify } from './verify';

// Every command of `kmodel`, one module each. Add new commands here.
export const commands: Command[] = [
  btfDump,
  btfFind,
  btfKfuncs,
  asm,
  compare,
  disasm,
  jit,
  modelCheck,
  modelShow,
  run,
  serve,
  verify,
  corpusCheck,
  exportCmd,
];
