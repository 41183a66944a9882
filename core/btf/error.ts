/** Malformed or inconsistent BTF. `offset` is the byte offset in the blob where the problem was found (-1 when none applies). */
export class BtfError extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(offset >= 0 ? `BTF: ${reason} (at byte ${offset})` : `BTF: ${reason}`);
    this.name = 'BtfError';
  }
}
