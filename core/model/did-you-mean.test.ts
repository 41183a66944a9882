import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, nearestNames } from './did-you-mean';

describe('did you mean', () => {
  it('edit distance, bounded', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('demo_arg', 'demo_args')).toBe(1);
    expect(editDistance('abc', 'xyzxyz', 2)).toBe(3);
  });

  it('the bounded distance (a band of the table) is the full one capped at max + 1', () => {
    const words = [
      '',
      'a',
      'ab',
      'ba',
      'abc',
      'acb',
      'tcp_sock',
      'tcp_sok',
      'sock_tcp',
      'qdisc',
      'Qdisc_ops',
    ];
    for (const a of words)
      for (const b of words)
        for (let max = 0; max <= 4; max++)
          expect(editDistance(a, b, max)).toBe(Math.min(editDistance(a, b), max + 1));
  });

  it('nearest names: other case first, then closest, within a third of the length', () => {
    expect(nearestNames('qdisc', ['Qdisc', 'qdisc_ops', 'sk_buff'])).toEqual(['Qdisc']);
    expect(nearestNames('tcp_sok', ['tcp_sock', 'udp_sock', 'tcp_seq', 'sock'])).toEqual([
      'tcp_sock',
      'tcp_seq',
    ]);
    expect(nearestNames('zzzzzz', ['tcp_sock'])).toEqual([]);
    expect(didYouMean(['a', 'b'])).toBe('; did you mean a, b?');
    expect(didYouMean([])).toBe('');
  });
});
