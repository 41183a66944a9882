import { describe, expect, it } from 'vitest';
import { parseSaveRequest, type SaveRequest, SaveTarget } from './save-request';

const hex = (as = false): SaveRequest => ({ text: 'b700000000000000\n', name: 'hand-0002', ext: 'hex', as });

describe('parseSaveRequest', () => {
  it('takes what the Program view and the graph exports send', () => {
    expect(parseSaveRequest(hex(true))).toEqual(hex(true));
    expect(parseSaveRequest({ text: '<svg/>', name: 'qdisc-graph', ext: 'svg', as: true })).toEqual({
      text: '<svg/>',
      name: 'qdisc-graph',
      ext: 'svg',
      as: true,
    });
  });

  it('refuses what is not a save request', () => {
    for (const req of [
      undefined,
      null,
      'text',
      { name: 'a', ext: 'hex', as: false },
      { text: 1, name: 'a', ext: 'hex' },
      { text: '', name: 'a', ext: '' },
      { text: '', name: 'a', ext: 'tar/../../x' },
      { text: '', name: 'a', ext: 'verylongext' },
      { text: '', name: ['a'], ext: 'hex' },
    ])
      expect(parseSaveRequest(req), JSON.stringify(req)).toBeNull();
  });

  it('offers a file name only, and Save As only when asked for with true', () => {
    expect(parseSaveRequest({ ...hex(), name: '../../.ssh/authorized_keys' })?.name).toBe('authorized_keys');
    expect(parseSaveRequest({ ...hex(), name: '' })?.name).toBe('untitled');
    expect(parseSaveRequest({ ...hex(), as: 'yes' })?.as).toBe(false);
  });
});

describe('SaveTarget', () => {
  it('Save asks the first time, then reuses the hex file until Save As', () => {
    const t = new SaveTarget();
    expect(t.silentPath(hex())).toBeUndefined();
    t.saved(hex(), '/w/prog.hex');
    expect(t.silentPath(hex())).toBe('/w/prog.hex');
    expect(t.silentPath(hex(true))).toBeUndefined();
    t.saved(hex(true), '/w/other.hex');
    expect(t.silentPath(hex())).toBe('/w/other.hex');
  });

  it('exports always ask and do not replace the program file', () => {
    const t = new SaveTarget();
    const svg: SaveRequest = { text: '<svg/>', name: 'g', ext: 'svg', as: false };
    t.saved(svg, '/w/g.svg');
    expect(t.silentPath(svg)).toBeUndefined();
    t.saved(hex(), '/w/prog.hex');
    t.saved(svg, '/w/g.svg');
    expect(t.silentPath(svg)).toBeUndefined();
    expect(t.silentPath(hex())).toBe('/w/prog.hex');
  });
});
