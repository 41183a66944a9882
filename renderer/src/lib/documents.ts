// What the model editor needs from its host beyond the API: Electron's native
// Save As dialog, the window's close prompt, dropped files' paths (preload's
// window.kmodelDocs); and, in the browser host, dropped files held as text.

interface DocsBridge {
  /** Native Save dialog; null when cancelled. */
  pickModelPath(defaultPath: string): Promise<string | null>;
  /** Tells main whether closing the window would lose edits. */
  setDirty(dirty: boolean): void;
  /** Closes the window after a Save the close prompt asked for. */
  closeWindow(): void;
  /** The file's path on disk (webUtils.getPathForFile); '' when it has none. */
  pathForFile(file: File): string;
}

declare global {
  interface Window {
    kmodelDocs?: DocsBridge;
  }
}

export const docsBridge = (): DocsBridge | undefined => window.kmodelDocs;

const dropped = new Map<string, string>();

/** Keeps a dropped file's text; the editor opens it as an unsaved document. */
export function holdDropped(name: string, text: string): string {
  dropped.set(name, text);
  return `dropped:${name}`;
}

export function takeDropped(arg: string): { name: string; text: string } | null {
  if (!arg.startsWith('dropped:')) return null;
  const name = arg.slice('dropped:'.length);
  const text = dropped.get(name);
  return text === undefined ? null : { name, text };
}

export const isModelFileName = (name: string): boolean => /\.ya?ml$/i.test(name);
