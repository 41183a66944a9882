// Closing a window whose model document has unsaved edits: ask Save / Discard / Cancel.
// The state and the decisions live here, Electron-free; index.ts shows the dialog and acts.
import type { MessageBoxSyncOptions } from 'electron';

/** The question, as dialog.showMessageBoxSync options; closeChoice reads its answer. */
export const CLOSE_PROMPT: MessageBoxSyncOptions = {
  type: 'warning',
  buttons: ['Save', 'Discard', 'Cancel'],
  defaultId: 0,
  cancelId: 2,
  message: 'The model has unsaved changes.',
  detail: 'Save them before closing?',
};

export type CloseChoice = 'save' | 'discard' | 'cancel';
const CHOICES: readonly CloseChoice[] = ['save', 'discard', 'cancel'];

/** The button index showMessageBoxSync returned (Escape gives cancelId) as a choice; anything else cancels. */
export const closeChoice = (button: number): CloseChoice => CHOICES[button] ?? 'cancel';

/** After the prompt: have the page save then close itself, close now, or keep the window. */
export type CloseAction = 'save-and-close' | 'close' | 'stay';

/** Which windows (by webContents id) hold unsaved edits, and which may close regardless. */
export class CloseGuard {
  private readonly dirty = new Set<number>();
  private readonly leaving = new Set<number>();

  /** The page reports whether its documents have unsaved edits. */
  setDirty(id: number, dirty: boolean): void {
    if (dirty) this.dirty.add(id);
    else this.dirty.delete(id);
  }

  /** The page saved (after 'save-and-close') and asks to close: the next close goes through. */
  letClose(id: number): void {
    this.leaving.add(id);
  }

  /** Whether a close of window `id` must be stopped to ask first. */
  mustAsk(id: number): boolean {
    return this.dirty.has(id) && !this.leaving.has(id);
  }

  /** What the user's answer means for window `id`. */
  answer(id: number, choice: CloseChoice): CloseAction {
    if (choice === 'save') return 'save-and-close';
    if (choice === 'discard') {
      this.leaving.add(id);
      return 'close';
    }
    return 'stay';
  }

  /** The window is gone (ids are not reused while it lives). */
  forget(id: number): void {
    this.dirty.delete(id);
    this.leaving.delete(id);
  }
}
