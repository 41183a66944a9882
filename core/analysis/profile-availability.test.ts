import { describe, expect, it } from 'vitest';
import { profileVersion, subsystemAbsence } from './profile-availability';

describe('subsystemAbsence', () => {
  it('says a profile older than the first release has no such subsystem', () => {
    const a = subsystemAbsence('v6.16', 'v6.12');
    expect(a?.reason).toBe('the subsystem first appears in v6.16, after profile v6.12 (Linux 6.12)');
    expect(subsystemAbsence('v6.16', 'v6.18')).toBeUndefined();
    expect(subsystemAbsence('v6.12', 'v6.12')).toBeUndefined();
  });

  it('puts bpf-next ahead of every numbered release', () => {
    expect(subsystemAbsence('v6.19', 'bpf-next-2026')).toBeUndefined();
    expect(profileVersion('v6.18')).toEqual([6, 18]);
    expect(profileVersion('bpf-next-2026')[0]).toBeGreaterThan(6);
  });
});
