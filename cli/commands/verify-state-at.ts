// `kmodel verify … --state-at N [--format text|json]`: every verifier state that reached insn N.
import { statePane } from '../../core/verifier/debug/state-pane';
import { verifierDebugRun } from '../../core/verifier/debug/states-at';
import type { LoadAttr, VerifyEnv } from '../../core/verifier/index';
import type { CommandContext } from '../command';
import { CliError } from '../errors';

export function printStateAt(
  ctx: CommandContext,
  attr: LoadAttr,
  env: VerifyEnv,
  at: string,
  format = 'text',
): number {
  const idx = Number(at);
  if (!/^\d+$/.test(at) || idx >= attr.insns.length) {
    throw new CliError(`--state-at ${at}: want an insn index 0..${attr.insns.length - 1}`);
  }
  if (format !== 'text' && format !== 'json') throw new CliError(`--format ${format}: want text or json`);
  const run = verifierDebugRun({ ...attr, logLevel: 2 }, env);
  const pane = statePane(run, idx, env.btf);
  if (format === 'json') {
    ctx.stdout(`${JSON.stringify(pane, null, 2)}\n`);
  } else {
    ctx.stdout(`${idx}: ${pane.text}\n`);
    if (pane.call) {
      const args = pane.call.args.map((a) => `R${a.reg}=${a.name}: ${a.type}`).join(', ');
      ctx.stdout(`  ${pane.call.kind} ${pane.call.name}(${args}) -> ${pane.call.ret}\n`);
    }
    if (!pane.visits.length) ctx.stdout('  not reached on any explored path\n');
    for (const v of pane.visits) {
      const f = v.before.frames[v.before.curframe]!;
      const regs = f.regs.map((r) => `R${r.regno}=${r.text}`);
      const slots = f.stack.map((s) => `fp${s.off}=${s.text}`);
      const how = v.pruned
        ? ' pruned (equivalent to an explored state)'
        : v.rejected
          ? ` rejected: ${v.rejected}`
          : '';
      ctx.stdout(
        `  visit ${v.visit} path ${v.path} frame ${v.frame}${how}\n    ${[...regs, ...slots].join(' ')}\n`,
      );
      const from = Object.entries(v.producers).filter(([, p]) => p.length);
      if (from.length)
        ctx.stdout(`    from: ${from.map(([n, p]) => `${n} <- ${p.join(' <- ')}`).join(', ')}\n`);
    }
    if (pane.truncated) ctx.stdout('  (the walk was longer than the recorder keeps: later visits missing)\n');
  }
  return run.result.verdict === 'accept' ? 0 : 1;
}
