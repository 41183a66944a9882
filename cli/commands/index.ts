import type { CommandEntry } from '../command';

// Every command of `kmodel`, one module each. Add new commands here. Only the
// words and help text are loaded up front; `load` imports the module when the
// command runs (scripts/build-cli.mjs makes each one a chunk of its own).
export const commands: CommandEntry[] = [
  {
    words: ['btf', 'dump'],
    usage: 'btf dump FILE [--base FILE] [--format raw|c]',
    summary: 'dump BTF (raw BTF or ELF .BTF) like bpftool btf dump',
    load: async () => (await import('./btf-dump')).btfDump,
  },
  {
    words: ['btf', 'find'],
    usage: 'btf find NAME [--kind K] [--file FILE] [--base FILE]',
    summary: 'find BTF types by name (vmlinux when no FILE)',
    load: async () => (await import('./btf-find')).btfFind,
  },
  {
    words: ['btf', 'kfuncs'],
    usage: 'btf kfuncs [--set HOOK|PROG_TYPE] [--file FILE] [--base FILE]',
    summary: 'list kfuncs with their hooks and KF_* flags (vmlinux when no FILE)',
    load: async () => (await import('./btf-kfuncs')).btfKfuncs,
  },
  {
    words: ['asm'],
    usage: 'asm FILE [--out OUT] [--syntax kernel|conformance]',
    summary: 'assemble BPF text to instruction bytes (hex without --out)',
    load: async () => (await import('./asm')).asm,
  },
  {
    words: ['compare'],
    usage: 'compare MODEL [--member M] [--profile auto|P] [--format table|json|md|txt]',
    summary: 'compare call designs (kfunc / BPF_CALL_N wrapper / helper) for generated pro/epilogues',
    load: async () => (await import('./compare')).compare,
  },
  {
    words: ['diff'],
    usage: 'diff A.yaml B.yaml [--profile P|PA,PB] [--format table|json|md], or diff A.yaml --profile PA,PB',
    summary: 'what changed between two models (or one under two profiles): items and cost deltas',
    load: async () => (await import('./diff')).diff,
  },
  {
    words: ['disasm'],
    usage: 'disasm FILE|--hex HEX [--big-endian] [--kallsyms FILE]',
    summary: 'print BPF instructions as the kernel verifier log does',
    load: async () => (await import('./disasm')).disasm,
  },
  {
    words: ['jit'],
    usage:
      'jit FILE|OBJ.o [--program NAME]|--hex HEX --prog-type T [--attach S:M|S:#INDEX] [--model M.yaml|NAME] [--profile v6.18] [--config return_thunk=none,ibt=on,…] [--syntax intel|gas] [--bytes] [--xlated]',
    summary: 'verify and JIT a program for x86-64, print the listing',
    load: async () => (await import('./jit')).jit,
  },
  {
    words: ['model', 'check'],
    usage: 'model check MODEL... [--profile P] [--quiet]',
    summary: 'validate subsystem models (file:line:col errors), assemble and verify their programs',
    load: async () => (await import('./model-check')).modelCheck,
  },
  {
    words: ['model', 'show'],
    usage: 'model show MODEL [--format text|json]',
    summary: 'summarize a subsystem model: type, members, pro/epilogues, kfuncs, programs',
    load: async () => (await import('./model-show')).modelShow,
  },
  {
    words: ['model', 'from-object'],
    usage: 'model from-object OBJ.o [--map NAME] [--out MODEL.yaml] [--skeleton]',
    summary:
      "a model from a BPF object's struct_ops map: the shipped model of its type with the object's programs, or a skeleton",
    load: async () => (await import('./model-from-object')).modelFromObject,
  },
  {
    words: ['run'],
    usage: 'run FILE|--hex HEX [--mem HEX] [--steps N]',
    summary: 'interpret a BPF program (.data, raw bytes or asm) and print r0',
    load: async () => (await import('./run')).run,
  },
  {
    words: ['stats'],
    usage:
      'stats FILES… [--format table|csv|json] [--profile P] [--prog-type T --attach S:M|S:#INDEX --model M], or stats --compare A.csv B.csv',
    summary:
      'veristat-style verifier statistics, one row per program (corpus .jsonl, objects, model files, program files); compare two runs',
    load: async () => (await import('./stats')).stats,
  },
  {
    words: ['serve'],
    usage: 'serve [--port N] [--host 127.0.0.1] [MODEL_FILE_OR_DIR…]',
    summary:
      'serve the app to a browser (port 0 picks a free port); the editor may open/save models/ and the given paths',
    load: async () => (await import('./serve')).serve,
  },
  {
    words: ['verify'],
    usage:
      'verify FILE|OBJ.o [--program NAME]|--hex HEX --prog-type T [--attach S:M|S:#INDEX] [--model M.yaml|NAME] [--log-level 1|2] [--map array:4:8:1 …]',
    summary: 'run the verifier model: log, verdict, xlated program',
    load: async () => (await import('./verify')).verify,
  },
  {
    words: ['corpus', 'check'],
    usage: 'corpus check CASES.jsonl [--out RESULTS.jsonl] [--limit N] [--diff]',
    summary: 'run the verifier model on corpus cases; fidelity vs the kernel',
    load: async () => (await import('./corpus-check')).corpusCheck,
  },
  {
    words: ['export'],
    usage: 'export MODEL [--format svg,png,md,txt,pdf] [--out DIR]',
    summary: "export a model's review report and subsystem graph (headless Chromium)",
    load: async () => (await import('./export')).exportCmd,
  },
  {
    words: ['selftest'],
    usage: 'selftest OBJ.o [--program NAME]',
    summary:
      "check each program's kernel-selftest annotations (__success/__failure, __msg, __xlated, __retval) against kmodel",
    load: async () => (await import('./selftest')).selftest,
  },
  {
    words: ['object', 'show'],
    usage: 'object show OBJ.o [--json]',
    summary: 'programs, maps, struct_ops bindings and externs of a BPF ELF object (as libbpf prepares it)',
    load: async () => (await import('./object-show')).objectShow,
  },
  {
    words: ['object', 'insns'],
    usage: 'object insns OBJ.o [--program NAME] [--format hex|text] [--source]',
    summary: "a program's instructions exactly as libbpf passes them to BPF_PROG_LOAD",
    load: async () => (await import('./object-insns')).objectInsns,
  },
];
