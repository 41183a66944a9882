import { describe, expect, it } from 'vitest';
import { parseParams } from './schema';

describe('API params', () => {
  it('a struct_ops attach names its member, or gives its index (a u32), not both', () => {
    const hex = 'b7000000000000009500000000000000';
    const ok = (attach: unknown) => () => parseParams('verify', { hex, progType: 'struct_ops', attach });
    expect(ok({ struct: 'tcp_congestion_ops', member: 'ssthresh' })).not.toThrow();
    expect(ok({ struct: 'tcp_congestion_ops', memberIndex: 40 })).not.toThrow();
    expect(ok({ struct: 'tcp_congestion_ops', memberIndex: -1 })).toThrow();
    expect(ok({ struct: 'tcp_congestion_ops', memberIndex: 2 ** 32 })).toThrow();
    expect(ok({ struct: 'tcp_congestion_ops', member: 'ssthresh', memberIndex: 0 })).toThrow();
  });
});
