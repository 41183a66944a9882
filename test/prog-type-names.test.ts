// The renderer may not import core at run time (layering), so the Verifier view spells the
// program types out; this keeps its list equal to the verifier model's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROG_TYPE_NAMES } from '../core/verifier/progtypes/names';

describe('program type names', () => {
  it('the Verifier view offers exactly the program types the verifier model has', () => {
    const view = readFileSync(join(__dirname, '../renderer/src/views/VerifierView.svelte'), 'utf8');
    const list = /const PROG_TYPES: ProgType\[\] = \[([^\]]*)\]/.exec(view);
    expect(list, 'PROG_TYPES literal in VerifierView.svelte').not.toBeNull();
    const offered = [...list![1]!.matchAll(/'(\w+)'/g)].map((m) => m[1]);
    expect(offered).toEqual([...PROG_TYPE_NAMES]);
  });
});
