// Public API of the ISA layer.
export * from './asm';
export * from './builders';
export * from './conformance';
export * from './disasm';
export * from './encoding';
export * from './errors';
export * from './helper-names';
export * from './insn';
export * from './interp';
export * from './memory';
export * from './opcodes';
export * from './validate';
