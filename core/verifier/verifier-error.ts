// The errno values a rejected load returns, and the error do_check throws with its log line.
export const EPERM = 1;

export const EFAULT = 14;

export const EACCES = 13;

export const EINVAL = 22;

export const E2BIG = 7;

export const ENOTSUPP = 524;

export class VerifierError extends Error {
  constructor(
    readonly errno: number,
    message: string,
    /** True when the message is already in the log. */
    readonly logged = false,
  ) {
    super(message);
  }
}
