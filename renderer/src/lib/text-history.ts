// The model editor's own undo/redo stack. A textarea's native history is lost
// whenever the page sets its value (reload, open, undo of a reload), so the
// editor keeps its own and routes Ctrl+Z / Ctrl+Y / the Edit menu to it.

export interface TextState {
  text: string;
  start: number;
  end: number;
}

/** Typing within this many ms of the last change joins one undo step (a word, roughly). */
const JOIN_MS = 800;

export class TextHistory {
  private undoStack: TextState[] = [];
  private redoStack: TextState[] = [];
  private lastKind = '';
  private lastAt = 0;

  constructor(private readonly limit = 500) {}

  /**
   * Records `before`, the state a change replaced. Consecutive single-character
   * insertions (same kind, soon after each other, not after a space or newline)
   * share one step.
   */
  record(before: TextState, kind = 'edit', now = Date.now()): void {
    const typing = kind === 'insertText';
    const joins =
      typing &&
      this.lastKind === 'insertText' &&
      now - this.lastAt < JOIN_MS &&
      this.undoStack.length > 0 &&
      !/\s$/.test(before.text.slice(0, before.start));
    if (!joins) {
      this.undoStack.push(before);
      if (this.undoStack.length > this.limit) this.undoStack.shift();
    }
    this.redoStack = [];
    this.lastKind = kind;
    this.lastAt = now;
  }

  /** The state to go back to, given the current one (which becomes redoable). */
  undo(current: TextState): TextState | null {
    const s = this.undoStack.pop();
    if (!s) return null;
    this.redoStack.push(current);
    this.lastKind = '';
    return s;
  }

  redo(current: TextState): TextState | null {
    const s = this.redoStack.pop();
    if (!s) return null;
    this.undoStack.push(current);
    this.lastKind = '';
    return s;
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }
  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  clear(): void {
    this.undoStack = [];
    this.redoStack = [];
    this.lastKind = '';
  }
}

/** Offset in `text` of 1-based line/column (clamped to the text). */
export function offsetOf(text: string, line: number, col: number): number {
  let off = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', off);
    if (nl < 0) return text.length;
    off = nl + 1;
  }
  const end = text.indexOf('\n', off);
  const lineEnd = end < 0 ? text.length : end;
  return Math.min(off + Math.max(0, col - 1), lineEnd);
}

/** 1-based line and column of an offset. */
export function lineColOf(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const nl = before.lastIndexOf('\n');
  return { line: before.split('\n').length, col: offset - nl };
}
