import { describe, expect, it } from 'vitest';
import { lineColOf, offsetOf, TextHistory } from './text-history';

const at = (text: string) => ({ text, start: text.length, end: text.length });

describe('TextHistory', () => {
  it('undoes and redoes whole edits in order', () => {
    const h = new TextHistory();
    h.record(at('a'), 'insertFromPaste', 0);
    h.record(at('a b'), 'deleteContentBackward', 5000);
    let cur = at('a');
    const u1 = h.undo(cur)!;
    expect(u1.text).toBe('a b');
    const u2 = h.undo(u1)!;
    expect(u2.text).toBe('a');
    expect(h.undo(u2)).toBeNull();
    cur = h.redo(u2)!;
    expect(cur.text).toBe('a b');
    cur = h.redo(cur)!;
    expect(cur.text).toBe('a');
    expect(h.redo(cur)).toBeNull();
  });

  it('joins quick typing within a word, splits at spaces and pauses', () => {
    const h = new TextHistory();
    h.record(at(''), 'insertText', 0);
    h.record(at('a'), 'insertText', 100);
    h.record(at('ab'), 'insertText', 200);
    h.record(at('ab '), 'insertText', 300); // after a space: new step
    h.record(at('ab c'), 'insertText', 5000); // after a pause: new step
    const s1 = h.undo(at('ab cd'))!;
    expect(s1.text).toBe('ab c');
    const s2 = h.undo(s1)!;
    expect(s2.text).toBe('ab ');
    const s3 = h.undo(s2)!;
    expect(s3.text).toBe('');
    expect(h.canUndo).toBe(false);
  });

  it('a new edit drops the redo branch', () => {
    const h = new TextHistory();
    h.record(at('x'), 'edit', 0);
    h.undo(at('xy'));
    expect(h.canRedo).toBe(true);
    h.record(at('x'), 'edit', 10);
    expect(h.canRedo).toBe(false);
  });
});

describe('line/column offsets', () => {
  const text = 'ab\ncdef\n\ng';
  it('round-trips every offset', () => {
    for (let i = 0; i <= text.length; i++) {
      const { line, col } = lineColOf(text, i);
      expect(offsetOf(text, line, col)).toBe(i);
    }
  });
  it('clamps past the end of a line or the text', () => {
    expect(offsetOf(text, 1, 99)).toBe(2);
    expect(offsetOf(text, 99, 1)).toBe(text.length);
  });
});
