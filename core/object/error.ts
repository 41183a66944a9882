import { BtfError } from '../btf/error';

/**
 * A BPF object that cannot be opened or prepared. The message is one line that
 * names the section, symbol, map, program or relocation at fault and why.
 */
export class ObjectError extends Error {
  constructor(message: string) {
    // Names come from the object: a control character in one must not break the line.
    super(message.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
    this.name = 'ObjectError';
  }
}

/** Runs f; a BtfError it throws becomes an ObjectError that names what was being read. */
export function rethrowBtfError<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof BtfError) throw new ObjectError(`${what}: ${e.reason}`);
    throw e;
  }
}
