// Whether a kernel profile has the subsystem at all: a model's `kernel:` names the first
// mainline release with its struct_ops type (qdisc: v6.16), and a profile older than that
// (v6.12) has nothing to measure. bpf-next-2026 is newer than every release a model names.
import { kernelProfile } from '../kernel/profiles';
import type { ProfileName } from '../model/schema';

export interface ProfileAbsence {
  profile: ProfileName;
  firstRelease: string;
  reason: string;
}

/** [major, minor] of a `v6.16`-style release, or undefined. */
const versionOf = (release: string): [number, number] | undefined => {
  const m = /^v?(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
};

/** The mainline version a profile stands for; Infinity-like for bpf-next (ahead of every release). */
export function profileVersion(profile: ProfileName): [number, number] {
  return versionOf(profile) ?? [Number.MAX_SAFE_INTEGER, 0];
}

/** Undefined when `profile` has the subsystem first released in `firstRelease`. */
export function subsystemAbsence(firstRelease: string, profile: ProfileName): ProfileAbsence | undefined {
  const first = versionOf(firstRelease);
  if (!first) return undefined;
  const [maj, min] = profileVersion(profile);
  if (maj > first[0] || (maj === first[0] && min >= first[1])) return undefined;
  return {
    profile,
    firstRelease,
    reason: `the subsystem first appears in ${firstRelease}, after profile ${profile} (Linux ${kernelProfile(profile).release})`,
  };
}
