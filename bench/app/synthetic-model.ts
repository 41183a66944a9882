// A made-up struct_ops model big enough to stress the subsystem graph view: one
// struct with `members` ops and `kfuncs` kfuncs spread over sets of `perSet`.
// Every name is synthetic (synth_*), so nothing collides with the reference BTF.

export interface SyntheticModelSize {
  members: number;
  kfuncs: number;
  perSet: number;
}

export function syntheticModelYaml(name: string, size: SyntheticModelSize): string {
  const ops = `${name}_ops`;
  const members = Array.from({ length: size.members }, (_, i) => `op_${i}`);
  const out: string[] = [
    `# Synthetic benchmark model (bench/app): ${size.members} members, ${size.kfuncs} kfuncs.`,
    `subsystem: ${name}`,
    `title: synthetic ${name}`,
    'kernel: v6.12',
    'profile: v6.18',
    'owner: vmlinux',
    'sources: [bench/app/synthetic-model.ts]',
    'types: |',
    `  struct ${ops} {`,
    ...members.map((m) => `    void (*${m})(u64 arg);`),
    '  };',
    'struct_ops:',
    `  name: ${ops}`,
    '  verifier_ops: [get_func_proto, is_valid_access]',
    '  members:',
    ...members.map((m) => `    - { name: ${m} }`),
    'kfunc_sets:',
  ];
  for (let s = 0; s * size.perSet < size.kfuncs; s++) {
    out.push(`  - name: ${name}_kfunc_ids_${s}`, '    hook: [STRUCT_OPS]', '    kfuncs:');
    for (let k = s * size.perSet; k < Math.min(size.kfuncs, (s + 1) * size.perSet); k++) {
      out.push(`      - { decl: "u64 ${name}_kf_${k}(u64 a, u64 b)" }`);
    }
  }
  return `${out.join('\n')}\n`;
}
