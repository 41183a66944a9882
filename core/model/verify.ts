// Adapter from a checked model to the verifier driver (core/verifier/index.ts, bpfCheck).
// Until the driver lands this returns undefined, which `model check` reports as
// "not run: verifier unavailable" instead of pretending the programs passed.
import type { VerifyOutcome, VerifyRequest } from './check';

export function modelVerifier(_req: VerifyRequest): VerifyOutcome | undefined {
  return undefined;
}
