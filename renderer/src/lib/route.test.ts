import { describe, expect, it } from 'vitest';
import { parseRoute, routeHash } from './route';

describe('routes', () => {
  it('round-trips view and argument through the hash', () => {
    for (const r of [
      { view: 'program', arg: 'hand-0002' },
      { view: 'btf', arg: '14447' },
      { view: 'models', arg: null },
      { view: 'edit', arg: '/tmp/my models/qdisc.yaml' },
    ] as const) {
      expect(parseRoute(routeHash(r))).toEqual(r);
    }
  });

  it('falls back to the program view', () => {
    expect(parseRoute('')).toEqual({ view: 'program', arg: null });
    expect(parseRoute('#nonsense/x')).toEqual({ view: 'program', arg: 'x' });
  });
});
