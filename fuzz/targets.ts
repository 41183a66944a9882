// What `npm run fuzz` feeds mutated inputs to. Each target reads one input and
// returns how it ended ('ok', 'rejected', …); an exception it lets out is a crash:
// anything but the parser's own error type (BtfError, IsaError, …), that is a
// TypeError, a RangeError from unbounded recursion, an 'internal' API answer, or
// (target verifier) a memory fault of a program the verifier accepted.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { corpusCaseShapeError } from '../cli/commands/corpus-check';
import {
  BtfBuilder,
  BtfError,
  dumpBtfC,
  dumpBtfRaw,
  elfBtf,
  elfSections,
  parseBtf,
  parseBtfOrElf,
  sizeOf,
  typeString,
} from '../core/btf/index';
import { BtfRegistry } from '../core/btf/registry';
import { AsmError } from '../core/isa/asm';
import { disasmProgram } from '../core/isa/disasm';
import { decodeInsns, insnsFromHex, insnsToHex } from '../core/isa/encoding';
import { IsaError } from '../core/isa/errors';
import { runProgram } from '../core/isa/interp';
import { InterpError } from '../core/isa/interp-ops';
import { TestRunProgram, testRunSupported } from '../core/isa/testrun';
import { checkProgram } from '../core/isa/validate';
import { checkModel } from '../core/model/check';
import { type CorpusCase, caseToLoadAttr, xlatedKernel } from '../core/verifier/corpus';
import { bpfCheck, type MapDef, type VerifierProgress } from '../core/verifier/index';
import type { ApiHandlers } from '../main/api/handlers';
import { parseJsonBody } from '../main/api/json-body';
import { envelopeOf } from '../main/api/worker';
import { loadReferenceVmlinuxBtfSync } from '../main/host/btf-files';
import { mutate, type Rng } from './mutate';

export interface FuzzTarget {
  name: string;
  /** Inputs the mutations start from (repository fixtures only). */
  seeds(): Uint8Array[];
  /** Input `r` makes; the default mutates a seed. */
  generate?(r: Rng, seeds: readonly Uint8Array[]): Uint8Array;
  /** Runs one input; throws (or rejects) on a crash. */
  run(input: Uint8Array): string | Promise<string>;
  /** Longest a single input may take before it counts as a hang. */
  hangMs: number;
}

const root = resolve(import.meta.dirname ?? __dirname, '..');
const fixture = (...p: string[]) => new Uint8Array(readFileSync(join(root, 'test/fixtures', ...p)));
const utf8 = new TextEncoder();
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Runs `f`; the listed error types mean the input was refused, anything else propagates. */
function refusedBy(f: () => string, ...expected: (abstract new (...a: never[]) => Error)[]): string {
  try {
    return f();
  } catch (e) {
    if (expected.some((t) => e instanceof t)) return 'rejected';
    throw e;
  }
}

let corpusCache: CorpusCase[] | undefined;
const corpus = (): CorpusCase[] =>
  (corpusCache ??= text(fixture('corpus', 'cases.jsonl'))
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as CorpusCase));

let registryCache: BtfRegistry | undefined;
const registry = () => (registryCache ??= new BtfRegistry(loadReferenceVmlinuxBtfSync()));

/** A small BTF with every kind, so mutations reach every record parser. */
function everyKindBtf(): Uint8Array {
  const b = new BtfBuilder();
  const int = b.addInt('int', 4, 1);
  const ch = b.addInt('char', 1, 2);
  const p = b.addPtr(int);
  const arr = b.addArray(ch, int, 16);
  const s = b.addStruct('s', 24, [
    { name: 'a', type: int, bitOffset: 0 },
    { name: 'p', type: p, bitOffset: 64 },
    { name: 'n', type: arr, bitOffset: 128 },
  ]);
  b.addUnion('u', 8, [{ name: 'x', type: int, bitOffset: 0 }]);
  b.addEnum('e', 4, [
    { name: 'E0', value: 0 },
    { name: 'E1', value: 1 },
  ]);
  b.addFwd('fwd_s');
  const td = b.addTypedef('td', s);
  b.addVolatile(b.addConst(b.addRestrict(p)));
  b.addTypeTag('tag', p);
  const proto = b.addFuncProto(int, [{ name: 'x', type: td }]);
  const fn = b.addFunc('f', proto);
  const v = b.addVar('v', int);
  b.addDatasec('.data', 4, [{ type: v, offset: 0, size: 4 }]);
  b.addFloat('float', 4);
  b.addDeclTag('dt', fn, 0);
  return b.build();
}

/** Parses, then walks what a parsed BTF offers; each walker may refuse with a BtfError on its own. */
function walkBtf(bytes: Uint8Array): string {
  const btf = parseBtf(bytes);
  const own = (f: () => unknown) =>
    refusedBy(() => {
      f();
      return 'ok';
    }, BtfError);
  own(() => dumpBtfRaw(btf));
  const c = own(() => dumpBtfC(btf, { header: false }));
  for (let id = 1; id < Math.min(btf.typeCount, 256); id++) {
    own(() => typeString(btf, id));
    own(() => sizeOf(btf, id)); // no size for FUNC, FWD, void: a BtfError
    const t = btf.type(id);
    if (t.name) btf.findAllByName(t.name);
  }
  return c === 'ok' ? 'parsed' : 'parsed, C dump refused';
}

const btfTarget: FuzzTarget = {
  name: 'btf',
  hangMs: 10_000,
  seeds: () => [everyKindBtf(), elfBtf(fixture('btf', 'prog.bpf.o'))],
  run: (input) => refusedBy(() => walkBtf(input), BtfError),
};

const objectFiles = () => {
  const dir = join(root, 'test/fixtures/objects/build');
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.o'));
  } catch {
    // no object fixtures: prog.bpf.o alone
  }
  return [fixture('btf', 'prog.bpf.o'), ...names.slice(0, 8).map((n) => fixture('objects', 'build', n))];
};

const elfTarget: FuzzTarget = {
  name: 'elf',
  hangMs: 10_000,
  seeds: objectFiles,
  run: (input) =>
    refusedBy(() => {
      elfSections(input);
      parseBtfOrElf(input);
      return 'ok';
    }, BtfError),
};

const corpusPrograms = () =>
  corpus()
    .slice(0, 120)
    .map((c) => Uint8Array.from(Buffer.from(c.insns, 'hex')));

const insnTarget: FuzzTarget = {
  name: 'insn',
  hangMs: 10_000,
  seeds: corpusPrograms,
  run: (input) =>
    refusedBy(
      () => {
        const insns = decodeInsns(input);
        disasmProgram(insns);
        if (checkProgram(insns, { kernel: true }).length) return 'invalid';
        // Unverified programs may fault or loop; the interpreter must say so, not crash.
        return refusedBy(() => {
          runProgram(insns, { stepLimit: 20_000 });
          return 'ran';
        }, InterpError);
      },
      IsaError,
      AsmError,
    ),
};

const modelFiles = () =>
  readdirSync(join(root, 'models'))
    .filter((n) => n.endsWith('.yaml'))
    .map((n) => new Uint8Array(readFileSync(join(root, 'models', n))));

const modelTarget: FuzzTarget = {
  name: 'model',
  hangMs: 10_000,
  seeds: modelFiles,
  // checkModel never throws for bad input: its diagnostics are the refusal.
  run: (input) =>
    checkModel('fuzz.yaml', text(input), { btf: registry() }).diagnostics.length ? 'rejected' : 'ok',
};

const jsonlTarget: FuzzTarget = {
  name: 'jsonl',
  hangMs: 10_000,
  seeds: () =>
    corpus()
      .slice(0, 60)
      .map((c) => utf8.encode(JSON.stringify(c))),
  run: (input) =>
    refusedBy(
      () => {
        let outcome = 'ok';
        for (const line of text(input).split('\n')) {
          if (!line.trim()) continue;
          const value = JSON.parse(line) as unknown;
          if (corpusCaseShapeError(value)) {
            outcome = 'rejected';
            continue;
          }
          try {
            caseToLoadAttr(value as CorpusCase);
          } catch (e) {
            // Bad hex and the like are plain Errors that corpus check reports with file:line; engine errors are bugs.
            if (Object.getPrototypeOf(e) !== Error.prototype && !(e instanceof IsaError)) throw e;
            outcome = 'rejected';
          }
        }
        return outcome;
      },
      SyntaxError,
      IsaError,
    ),
};

/** Requests the app makes, as `kmodel serve` receives them: {"method": …, "params": …}. */
const API_SEEDS: { method: string; params: unknown }[] = [
  { method: 'version', params: {} },
  { method: 'disasm', params: { hex: 'b7000000000000009500000000000000' } },
  { method: 'verify', params: { hex: 'b7000000000000009500000000000000', progType: 'socket_filter' } },
  {
    method: 'verify',
    params: { hex: '61100000000000006111040000000000bf130000000000000703000008000000', progType: 'xdp' },
  },
  { method: 'samples', params: { query: 'xdp', limit: 5 } },
  { method: 'btfType', params: { id: 2 } },
  { method: 'listModels', params: {} },
  { method: 'openModel', params: { name: 'tcp_cc' } },
  { method: 'validateModelText', params: { text: 'name: x\nstruct_ops: tcp_congestion_ops\n' } },
];

let handlers: ApiHandlers | undefined;

const apiTarget: FuzzTarget = {
  name: 'api',
  hangMs: 120_000,
  seeds: () => API_SEEDS.map((s) => utf8.encode(JSON.stringify(s))),
  async run(input) {
    let req: { method?: unknown; params?: unknown };
    try {
      req = (parseJsonBody(text(input)) ?? {}) as typeof req;
    } catch {
      return 'rejected';
    }
    if (typeof req !== 'object' || req === null || typeof req.method !== 'string') return 'rejected';
    // Saving would write files: the fuzzer reads only.
    if (/^(saveModel|newModel)$/.test(req.method)) return 'skipped';
    // Loaded here, so the other targets do not depend on the whole API.
    handlers ??= new (await import('../main/api/handlers')).ApiHandlers(root, []);
    const env = await envelopeOf(handlers, req.method, req.params);
    if (!env.ok && env.error.code === 'internal') throw new Error(`internal: ${env.error.message}`);
    return env.ok ? 'ok' : 'rejected';
  },
};

/** Corpus cases the test-run interpreter can replay with packets. */
const runnableCases = () =>
  corpus().filter(
    (c) =>
      c.kernel.verdict === 'accept' &&
      (c.kernel.runs ?? []).some((r) => r.data_in !== undefined) &&
      testRunSupported(
        c.prog_type,
        insnsFromHex(c.insns),
        c.maps.map((m) => ({
          type: m.type,
          keySize: m.key_size,
          valueSize: m.value_size,
          maxEntries: m.max_entries,
        })),
      ),
  );

/** Insn-level edits: the fields a verifier bug would hinge on. */
function mutateInsns(insns: Uint8Array, r: Rng): Uint8Array {
  const b = new Uint8Array(insns);
  const n = b.length >>> 3;
  if (!n) return b;
  const edits = 1 + r.below(3);
  const v = new DataView(b.buffer);
  for (let k = 0; k < edits; k++) {
    const i = r.below(n) * 8;
    switch (r.below(6)) {
      case 0:
        v.setInt32(
          i + 4,
          [0, 1, -1, 8, 14, 60, 64, 0x7fffffff, -0x80000000][r.below(9)]! +
            (r.chance(2) ? 0 : r.below(9) - 4),
          true,
        );
        break;
      case 1:
        v.setInt16(i + 2, v.getInt16(i + 2, true) + r.below(33) - 16, true);
        break;
      case 2:
        b[i + 1] = (r.below(11) << 4) | r.below(11);
        break;
      case 3:
        b[i] = b[i]! ^ (1 << r.below(8));
        break;
      case 4: {
        // Copy another instruction over this one.
        const j = r.below(n) * 8;
        b.copyWithin(i, j, j + 8);
        break;
      }
      default:
        v.setInt32(i + 4, v.getInt32(i + 4, true) + r.below(17) - 8, true);
    }
  }
  return b;
}

/** Jumps with a negative offset (JMP/JMP32 class), and calls with a negative imm. */
function backwardJumps(insns: Uint8Array): number {
  const v = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  let n = 0;
  for (let i = 0; i + 8 <= insns.length; i += 8) {
    const cls = insns[i]! & 7;
    if (cls !== 5 && cls !== 6) continue;
    if (v.getInt16(i + 2, true) < 0 || ((insns[i]! & 0xf0) === 0x80 && v.getInt32(i + 4, true) < 0)) n++;
  }
  return n;
}

let runnable: CorpusCase[] | undefined;
/** The kernel layout and call addresses the xlated program runs against, made once. */
let kernelCache: ReturnType<typeof xlatedKernel> | undefined;
/** Per runnable case, parsed once: its maps and its recorded input packets. */
let runnableFixtures: { maps: MapDef[]; packets: Uint8Array[] }[] | undefined;

/**
 * Past this many processed insns a mutated program is set aside, counted as 'skipped: long walk'
 * and not run: such walks (mostly new loops bound for the 1M-insn limit, 5–40 s each) took nine
 * tenths of the target's time for under 1 % of its inputs. The hang watchdog still covers the rest.
 */
export const VERIFIER_FUZZ_MAX_PROCESSED = 50_000;

class LongWalk extends Error {}
const longWalkCap = {
  every: 2048,
  report(p: VerifierProgress): void {
    if (p.processed >= VERIFIER_FUZZ_MAX_PROCESSED) throw new LongWalk();
  },
};

/** Input layout: u16 case index, then the program's bytes. */
const verifierTarget: FuzzTarget = {
  name: 'verifier',
  hangMs: 120_000,
  seeds: () => {
    runnable ??= runnableCases();
    return runnable.map((c, k) => {
      const p = Buffer.from(c.insns, 'hex');
      const out = new Uint8Array(2 + p.length);
      new DataView(out.buffer).setUint16(0, k, true);
      out.set(p, 2);
      return out;
    });
  },
  generate(r, seeds) {
    const s = seeds[r.below(seeds.length)]!;
    const out = new Uint8Array(s);
    // A new backward jump mostly makes a loop the verifier walks to its 1M-insn limit (15–40 s
    // here): retry those, so the time goes to many programs rather than a few loops.
    for (let tries = 0; tries < 8; tries++) {
      out.set(mutateInsns(s.subarray(2), r), 2);
      if (backwardJumps(out.subarray(2)) <= backwardJumps(s.subarray(2))) break;
    }
    return out;
  },
  run(input) {
    runnable ??= runnableCases();
    runnableFixtures ??= runnable.map((c) => ({
      maps: c.maps.map((m) => ({
        type: m.type,
        keySize: m.key_size,
        valueSize: m.value_size,
        maxEntries: m.max_entries,
      })),
      packets: (c.kernel.runs ?? []).flatMap((r) =>
        r.data_in === undefined ? [] : [Uint8Array.from(Buffer.from(r.data_in, 'hex'))],
      ),
    }));
    const k = new DataView(input.buffer, input.byteOffset).getUint16(0, true) % runnable.length;
    const c = runnable[k]!;
    const { maps, packets } = runnableFixtures[k]!;
    if ((input.length - 2) % 8 !== 0) return 'rejected';
    const insns = decodeInsns(input.subarray(2));
    const mutated: CorpusCase = { ...c, insns: insnsToHex(insns) };
    let vr: ReturnType<typeof bpfCheck>;
    try {
      vr = bpfCheck(caseToLoadAttr(mutated, 0), { btf: registry(), progress: longWalkCap });
    } catch (e) {
      if (e instanceof LongWalk) return 'skipped: long walk';
      throw e;
    }
    if (vr.verdict !== 'accept') return 'rejected';
    // kmodel's xlated program, so a fixup that breaks memory safety shows too; the loaded one
    // only when the test-run model cannot run that form.
    kernelCache ??= xlatedKernel({ btf: registry() });
    const kernel = kernelCache;
    const fx =
      vr.fixups && testRunSupported(c.prog_type, vr.fixups.insns, maps, kernel) ? vr.fixups : undefined;
    if (!fx && !testRunSupported(c.prog_type, insns, maps)) return 'accepted-not-runnable';
    const p = fx
      ? new TestRunProgram(c.prog_type, fx.insns, maps, undefined, undefined, kernel)
      : new TestRunProgram(c.prog_type, insns, maps);
    for (const packet of packets) {
      try {
        p.run(packet);
      } catch (e) {
        if (e instanceof InterpError && e.kind === 'memory')
          throw new Error(`soundness: the verifier accepted a program that faults: ${e.message}`);
        // Accepted, yet the ISA checks refuse it (reserved fields): a fidelity gap of the verifier model, counted apart.
        if (e instanceof IsaError) return 'accepted-invalid';
        // Step limits and helper failures are not memory safety.
        if (!(e instanceof InterpError)) throw e;
      }
    }
    return 'accepted';
  },
};

export const TARGETS: readonly FuzzTarget[] = [
  btfTarget,
  elfTarget,
  insnTarget,
  modelTarget,
  jsonlTarget,
  apiTarget,
  verifierTarget,
];

export function targetByName(name: string): FuzzTarget {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`unknown fuzz target '${name}' (${TARGETS.map((x) => x.name).join(', ')})`);
  return t;
}

/** Input `index` of a run seeded `seed` on `target`. */
export function fuzzInput(target: FuzzTarget, seeds: readonly Uint8Array[], r: Rng): Uint8Array {
  return target.generate ? target.generate(r, seeds) : mutate(seeds[r.below(seeds.length)]!, r, seeds);
}
