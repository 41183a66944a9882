/**
 * A BPF object that cannot be opened or prepared. The message is one line that
 * names the section, symbol, map, program or relocation at fault and why.
 */
export class ObjectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ObjectError';
  }
}
