// Writes core/kernel/struct-ops-rules.ts: the struct_ops rules of the subsystems the
// reference kernel registers, compiled from their models so the YAML stays the one
// definition. Run: npx tsx scripts/gen-struct-ops-rules.ts (a test checks it is current).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { referenceStructOpsSource } from '../core/model/struct-ops-rules';

const root = join(import.meta.dirname, '..');
const text = referenceStructOpsSource((f) => readFileSync(join(root, 'models', f), 'utf8'));
const out = join(root, 'core/kernel/struct-ops-rules.ts');
writeFileSync(out, text);
execFileSync('npx', ['biome', 'format', '--write', out], { cwd: root, stdio: 'inherit' });
