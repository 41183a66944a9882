import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inProcessBackend } from './backend';
import { ApiHandlers, findPackageRoot } from './handlers';

const root = findPackageRoot(__dirname);
const cases = readFileSync(join(root, 'test/fixtures/corpus/cases.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map(
    (l) => JSON.parse(l) as { id: string; kernel: { verdict: string; log: string; xlated: string | null } },
  );
const h = new ApiHandlers(root);

describe('verify view', () => {
  it('verifies a pasted program: r0 = 0; exit is accepted after 2 insns', () => {
    const v = h.verify({ hex: 'b700000000000000' + '9500000000000000', progType: 'socket_filter' });
    expect(v.model.verdict).toBe('accept');
    expect(v.model.processedInsns).toBe(2);
    expect(v.model.xlated!.map((l) => l.text)).toEqual(['(b7) r0 = 0', '(95) exit']);
    expect(v.kernel).toBeUndefined();
  });

  it('a struct_ops member by index (expected_attach_type): past the members, the kernel’s attach error', () => {
    const hex = 'b700000000000000' + '9500000000000000';
    const past = h.verify({
      hex,
      progType: 'struct_ops',
      attach: { struct: 'tcp_congestion_ops', memberIndex: 40 },
    });
    expect(past.model.verdict).toBe('reject');
    expect(past.model.errno).toBe(22);
    expect(past.model.log).toMatch(/^attach to invalid member idx 40 of struct tcp_congestion_ops\n/);
    const ok = h.verify({
      hex,
      progType: 'struct_ops',
      attach: { struct: 'tcp_congestion_ops', memberIndex: 0 },
    });
    expect(ok.model.verdict).toBe('accept');
  });

  it('names the struct field of a load through a typed pointer (r1 +1444 → tcp_sock.snd_cwnd)', () => {
    const v = h.verify({ id: 'clang-0002' });
    expect(v.fields).toContainEqual({ idx: 1, field: 'tcp_sock.snd_cwnd' });
    expect(v.bpf.find((l) => l.idx === 1)!.text).toContain('(r1 +1444)');
    // A socket filter reads ctx (the __sk_buff mirror), no BTF struct: nothing to name.
    expect(h.verify({ hex: 'b700000000000000' + '9500000000000000' }).fields).toBeUndefined();
  });

  it('puts a corpus case beside the kernel answer', () => {
    for (const verdict of ['accept', 'reject']) {
      const c = cases.find((x) => x.kernel.verdict === verdict)!;
      const v = h.verify({ id: c.id });
      expect(v.kernel!.verdict).toBe(verdict);
      expect(v.kernel!.log).toBe(c.kernel.log);
      expect(v.kernel!.xlatedHex).toBe(c.kernel.xlated);
      expect(v.comparison!.verdict).toBe(v.model.verdict === verdict);
    }
  });

  it('asks for either a corpus id or hex', async () => {
    const api = inProcessBackend(root);
    expect(await api.call('verify', {})).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await api.call('verify', { id: 'hand-0002', hex: '' })).toMatchObject({ ok: false });
  });
});
