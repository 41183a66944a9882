import { describe, expect, it } from 'vitest';
import { CLOSE_PROMPT, CloseGuard, closeChoice } from './close-guard';

/** A window's close as index.ts runs it: ask when the guard says so, then act on the answer. */
function tryClose(guard: CloseGuard, id: number, button: number | null): 'closed' | 'asked-to-save' | 'kept' {
  if (!guard.mustAsk(id)) return 'closed';
  if (button === null) throw new Error('the prompt was shown but the test gave no answer');
  const action = guard.answer(id, closeChoice(button));
  if (action === 'save-and-close') return 'asked-to-save';
  // index.ts calls win.close() again, which must now go through.
  if (action === 'close') return guard.mustAsk(id) ? 'kept' : 'closed';
  return 'kept';
}

const button = (label: string) => (CLOSE_PROMPT.buttons ?? []).indexOf(label);

describe('closeChoice', () => {
  it('maps the prompt buttons, and Escape (cancelId) or an unknown answer to cancel', () => {
    expect(closeChoice(button('Save'))).toBe('save');
    expect(closeChoice(button('Discard'))).toBe('discard');
    expect(closeChoice(button('Cancel'))).toBe('cancel');
    expect(closeChoice(CLOSE_PROMPT.cancelId ?? -1)).toBe('cancel');
    expect(closeChoice(CLOSE_PROMPT.defaultId ?? -1)).toBe('save');
    expect(closeChoice(-1)).toBe('cancel');
    expect(closeChoice(7)).toBe('cancel');
  });
});

describe('CloseGuard', () => {
  it('closes a clean window without asking', () => {
    const g = new CloseGuard();
    expect(tryClose(g, 1, null)).toBe('closed');
    g.setDirty(1, true);
    g.setDirty(1, false);
    expect(tryClose(g, 1, null)).toBe('closed');
  });

  it('Cancel keeps a dirty window and asks again next time', () => {
    const g = new CloseGuard();
    g.setDirty(1, true);
    expect(tryClose(g, 1, button('Cancel'))).toBe('kept');
    expect(g.mustAsk(1)).toBe(true);
  });

  it('Discard closes a dirty window', () => {
    const g = new CloseGuard();
    g.setDirty(1, true);
    expect(tryClose(g, 1, button('Discard'))).toBe('closed');
  });

  it('Save hands over to the page, which closes once it has saved', () => {
    const g = new CloseGuard();
    g.setDirty(1, true);
    expect(tryClose(g, 1, button('Save'))).toBe('asked-to-save');
    // A failed or cancelled save leaves the window dirty and guarded.
    expect(g.mustAsk(1)).toBe(true);
    g.letClose(1);
    expect(tryClose(g, 1, null)).toBe('closed');
  });

  it('keeps windows apart, and forgets a closed one', () => {
    const g = new CloseGuard();
    g.setDirty(1, true);
    g.setDirty(2, true);
    expect(tryClose(g, 1, button('Discard'))).toBe('closed');
    expect(g.mustAsk(2)).toBe(true);
    g.forget(1);
    g.setDirty(1, true);
    expect(g.mustAsk(1)).toBe(true);
    g.forget(2);
    expect(g.mustAsk(2)).toBe(false);
  });
});
