import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadModel } from './load';

describe('loadModel', () => {
  it('reports an alias bomb as a diagnostic instead of throwing', () => {
    const levels = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
    for (let i = 1; i < 8; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    const r = loadModel('bomb.yaml', `${levels.join('\n')}\n`);
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      'bomb.yaml:1:1: YAML: Excessive alias count indicates a resource exhaustion attack',
    ]);
  });

  it('still reads a file with a few aliases', () => {
    const r = loadModel('few.yaml', 'a: &a [1]\nb: *a\n');
    expect(r.diagnostics.every((d) => !d.message.startsWith('YAML:'))).toBe(true);
  });
});
