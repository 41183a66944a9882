import { describe, expect, it } from 'vitest';
import { loadReferenceVmlinuxBtfSync } from '../../main/host/btf-files';
import { BtfRegistry } from '../btf/registry';
import { E2BIG } from './do-check';
import { bpfCheck } from './index';

const btf = new BtfRegistry(loadReferenceVmlinuxBtfSync());

describe('bpfCheck', () => {
  it('rejects an empty program with E2BIG and no log, as bpf_prog_load does', () => {
    for (const progType of ['socket_filter', 'xdp'] as const) {
      const r = bpfCheck({ insns: [], progType, logLevel: 2 }, { btf });
      expect(r.verdict).toBe('reject');
      expect(r.errno).toBe(E2BIG);
      expect(r.log).toBe('');
      expect(r.error).toMatch(/no instructions/);
    }
  });
});
