import { describe, expect, it } from 'vitest';
import { modelLabel, modelProgramArg, parseModelProgramArg, parseRoute, routeHash } from './route';

describe('routes', () => {
  it('round-trips view and argument through the hash', () => {
    for (const r of [
      { view: 'program', arg: 'hand-0002' },
      { view: 'btf', arg: '14447' },
      { view: 'models', arg: null },
      { view: 'edit', arg: '/tmp/my models/qdisc.yaml' },
      { view: 'graph', arg: '/tmp/a#b/x.yaml' },
      { view: 'home', arg: null },
    ] as const) {
      expect(parseRoute(routeHash(r))).toEqual(r);
    }
  });

  it('falls back to the home page', () => {
    expect(parseRoute('')).toEqual({ view: 'home', arg: null });
    expect(parseRoute('#nonsense/x')).toEqual({ view: 'home', arg: 'x' });
  });

  it("names a model's program with its design and profile, the model (maybe a path) last", () => {
    const p = {
      name: '/tmp/dir/x.yaml',
      program: 'fifo_init',
      design: 'wrapper',
      profile: 'bpf-next-2026',
    } as const;
    expect(parseModelProgramArg(modelProgramArg(p))).toEqual(p);
    const r = parseRoute(routeHash({ view: 'jit', arg: modelProgramArg({ name: 'qdisc', program: 'a' }) }));
    expect(parseModelProgramArg(r.arg)).toEqual({ name: 'qdisc', program: 'a' });
    expect(parseModelProgramArg('hand-0002')).toBeNull();
    expect(parseModelProgramArg(null)).toBeNull();
  });

  it('labels a model by its file name', () => {
    expect(modelLabel('qdisc')).toBe('qdisc');
    expect(modelLabel('/tmp/dir/my_model.yaml')).toBe('my_model');
  });
});
