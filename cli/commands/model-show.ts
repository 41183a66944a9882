// `kmodel model show MODEL`: a summary of one subsystem model.
import { typeToString } from '../../core/model/cdecl';
import { errorCount } from '../../core/model/check';
import { formatDiagnostic } from '../../core/model/load';
import { summarizeModel } from '../../core/model/summary';
import { checkFlags, flagString, parseArgs } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { checkModelFile } from './model-load';

export const modelShow: Command = {
  run(ctx) {
    const args = parseArgs(ctx.argv);
    checkFlags(args, ['format']);
    const format = flagString(args, 'format') ?? 'text';
    if (format !== 'text' && format !== 'json')
      throw new CliError(`--format must be text or json, got '${format}'`);
    if (args.positional.length !== 1) {
      throw new CliError(
        args.positional.length ? `unexpected argument '${args.positional[1]}'` : 'missing MODEL',
      );
    }
    const r = checkModelFile(args.positional[0]!, undefined, false);
    if (errorCount(r) > 0 || !r.resolved) {
      for (const d of r.diagnostics) ctx.stderr(`${formatDiagnostic(d)}\n`);
      // A model that does not check is bad input here (model check reports it with exit 1).
      return 2;
    }
    const s = summarizeModel(r);
    if (format === 'json') {
      ctx.stdout(`${JSON.stringify(s, null, 2)}\n`);
      return 0;
    }
    const m = r.resolved;
    const lines: string[] = [];
    lines.push(`${s.title} [${s.subsystem}]`);
    lines.push(
      `  kernel ${s.kernel}, profile ${s.profile}, ${s.module ? `module ${s.module}` : 'built into vmlinux'}`,
    );
    lines.push(
      `  struct_ops ${s.structOps} (${s.structFrom === 'btf' ? 'from the reference BTF' : 'declared in the model'}), verifier ops: ${s.verifierOps.join(', ')}`,
    );
    lines.push(`  members (${s.members.length}):`);
    for (const mem of m.members) {
      const fn = mem.func ? typeToString({ kind: 'ptr', to: mem.func }, mem.name) : mem.name;
      const tags = [mem.kind !== 'op' ? mem.kind : '', mem.sleepable ? 'sleepable' : ''];
      if (mem.prologue)
        tags.push(
          `prologue ${mem.prologue.count} insns${mem.prologue.design ? ` (${mem.prologue.design})` : ''}`,
        );
      if (mem.epilogue)
        tags.push(
          `epilogue ${mem.epilogue.count} insns${mem.epilogue.design ? ` (${mem.epilogue.design})` : ''}`,
        );
      const t = tags.filter(Boolean);
      lines.push(`    ${fn}${t.length ? `  [${t.join('; ')}]` : ''}`);
    }
    const so = r.model!.struct_ops;
    const rules = Object.entries(so.init_member ?? {});
    if (rules.length || so.unique_name) {
      // What map update (init_member) and registration do with the data members' values.
      const what = rules.map(([name, x]) => {
        const limit =
          x.check === 'mask'
            ? ` ${x.name ?? ''} 0x${(x.mask ?? 0).toString(16)}`
            : x.check === 'max'
              ? ` ${x.name ?? ''} ${x.max}`
              : '';
        return `${name} ${x.check}${limit.replace(/ +/g, ' ')}${x.check === 'copy' ? '' : ` (-${x.errno})`}`;
      });
      lines.push(`  init_member: ${what.join('; ') || 'none'}; other data members must be zero (-EINVAL)`);
      if (so.unique_name)
        lines.push(
          `  reg: ${so.unique_name.member} not already registered (${so.unique_name.registered.join(', ')}) (-${so.unique_name.errno})`,
        );
    }
    lines.push('  capability sheet:');
    for (const c of s.capabilities) {
      if (!c.supported) {
        lines.push(`    ${c.member}: unsupported (check_member refuses it)`);
        continue;
      }
      const args = c.args.map(
        (a) =>
          `${a.type}${a.type.endsWith('*') ? '' : ' '}${a.name}${a.annotations.map((x) => ` ${x}`).join('')}`,
      );
      lines.push(`    ${c.member}(${args.join(', ')}) → ${c.returns}; sleepable: ${c.sleepable}`);
      const kf = c.kfuncs.map((k) => `${k.name}${k.sleepableOnly ? ' (sleepable only)' : ''}`);
      lines.push(`      kfuncs: ${kf.join(', ') || 'none'}; helpers: ${c.helpers.length}`);
      if (c.writable.length) lines.push(`      writes: ${c.writable.join(', ')}`);
      const gen = [c.prologue ? 'prologue' : '', c.epilogue ? 'epilogue' : ''].filter(Boolean);
      if (gen.length) lines.push(`      generated: ${gen.join(', ')}`);
    }
    lines.push(`  kfunc sets (${s.kfuncSets.length}):`);
    for (const ks of s.kfuncSets)
      lines.push(
        `    ${ks.name} [${ks.hooks.join(', ')}]: ${ks.kfuncs} kfuncs${ks.hidden ? `, ${ks.hidden} hidden` : ''}`,
      );
    if (s.wrappers.length)
      lines.push(`  wrappers: ${s.wrappers.map((w) => `BPF_CALL_${w.args}(${w.name})`).join(', ')}`);
    lines.push(`  BTF: ${s.btfBytes} bytes added on top of the reference vmlinux`);
    lines.push(
      `  programs (${s.programs.length}): ${s.programs.map((p) => `${p.name}→${p.member} (${p.insns} insns)`).join(', ')}`,
    );
    ctx.stdout(`${lines.join('\n')}\n`);
    return 0;
  },
};
