// Every crash or hang `npm run fuzz` ever kept under test/fixtures/fuzz/<target>/
// is replayed here; the short seeded run of every target is `npm run fuzz:ci`.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REGRESSION_DIR, runInput } from '../fuzz/campaign';
import { targetByName } from '../fuzz/targets';

const kept = existsSync(REGRESSION_DIR)
  ? readdirSync(REGRESSION_DIR).flatMap((target) =>
      readdirSync(join(REGRESSION_DIR, target)).map((file) => ({ target, file })),
    )
  : [];

describe('fuzz regressions', () => {
  it.each(kept.map((k) => [`${k.target}/${k.file}`, k] as const))('%s no longer crashes', async (_, k) => {
    const r = await runInput(
      targetByName(k.target),
      new Uint8Array(readFileSync(join(REGRESSION_DIR, k.target, k.file))),
    );
    expect(r).not.toHaveProperty('error');
  });
});
