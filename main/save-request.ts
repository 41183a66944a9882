// File > Save / Save As / Export from the page: it hands over the text, a file name and
// its extension; main asks where (index.ts) unless Save can reuse the last file.
// Electron-free so it can be tested.
import { basename, extname } from 'node:path';

export interface SaveRequest {
  text: string;
  /** File name without extension, offered in the dialog. */
  name: string;
  ext: string;
  /** Save As: always ask. */
  as: boolean;
}

/** The page's request, or null when it is none (an IPC channel carries anything). */
export function parseSaveRequest(req: unknown): SaveRequest | null {
  if (typeof req !== 'object' || req === null) return null;
  const { text, name, ext, as } = req as Record<string, unknown>;
  if (typeof text !== 'string' || typeof name !== 'string' || typeof ext !== 'string') return null;
  if (!/^[a-z0-9]{1,8}$/i.test(ext)) return null;
  // The dialog offers a file name, never a folder the page picked.
  return { text, name: basename(name) || 'untitled', ext, as: as === true };
}

/**
 * Where Save writes without asking: the file Save wrote last, while the page asks for the
 * same kind of file and not Save As. Only programs (hex) are remembered: exports always ask.
 */
export class SaveTarget {
  private last: string | undefined;

  silentPath(req: SaveRequest): string | undefined {
    return !req.as && this.last && extname(this.last).slice(1) === req.ext ? this.last : undefined;
  }

  saved(req: SaveRequest, path: string): void {
    if (req.ext === 'hex') this.last = path;
  }
}
