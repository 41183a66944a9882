import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { objectBytes, objectIndex, referenceBtf } from '../../test/fixtures/objects/load';
import { describeObject, formatObjectSummary, memberValueText } from './describe';
import { loadBpfObject } from './object';

const target = referenceBtf();
const dir = join(__dirname, '../../test/fixtures/objects');
const objects = [
  ...readdirSync(join(dir, 'build')).map((f) => `build/${f}`),
  ...readdirSync(join(dir, 'own/build')).map((f) => `own/build/${f}`),
];

describe('object show on every fixture', () => {
  it('lists each indexed program with its section and type, and every struct_ops binding', () => {
    const index = objectIndex();
    expect(objects.length).toBe(42);
    for (const rel of objects) {
      const s = describeObject(loadBpfObject(objectBytes(rel), { target }));
      for (const e of index.filter((x) => x.object === rel)) {
        expect(
          s.programs.find((p) => p.name === e.program),
          `${rel} ${e.program}`,
        ).toMatchObject({
          section: e.section,
          type: e.prog_type,
        });
      }
      // Every struct_ops program is bound by a map member, and says so.
      for (const p of s.programs.filter((x) => x.type === 'struct_ops')) {
        const bound = s.maps.flatMap((m) => m.structOps?.members ?? []).find((m) => m.program === p.name);
        expect(bound?.member, `${rel} ${p.name}`).toBe(p.attach?.member);
      }
      const text = formatObjectSummary(s, rel);
      expect(text.split('\n')[0]).toContain(`${rel}: ELF64 ${s.endian}-endian BPF object, license "GPL"`);
      for (const p of s.programs) expect(text).toContain(`  ${p.name}: section ${p.section}, type ${p.type}`);
    }
  });

  it('prints a NUL-padded name as a string and other bytes as hex', () => {
    expect(memberValueText('6b6d6f64656c0000')).toBe('"kmodel"');
    expect(memberValueText('01000000')).toBe('0x01000000');
  });
});
