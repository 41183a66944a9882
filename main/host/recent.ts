// File > Open Recent: program files, newest first, kept as JSON in the app's userData
// folder. Electron-free (index.ts passes the file's path) so it can be tested.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';

export const RECENT_MAX = 10;

/** Most-recent-first list of paths, without duplicates, at most `max` long. */
export function pushRecent(list: readonly string[], path: string, max = RECENT_MAX): string[] {
  return [path, ...list.filter((p) => p !== path)].slice(0, max);
}

/**
 * The stored list, as the menu should show it: [] when the file is missing, unreadable or
 * not a JSON array; entries that are not absolute paths, repeat an earlier one or name a
 * file that no longer exists are dropped.
 */
export function readRecent(file: string, max = RECENT_MAX): string[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
  if (!Array.isArray(data)) return [];
  const paths = data.filter((p): p is string => typeof p === 'string' && isAbsolute(p) && existsSync(p));
  return [...new Set(paths)].slice(0, max);
}

/** Stores the list. False when it cannot be written: the list is a convenience, so opening a file must not fail on it. */
export function writeRecent(file: string, list: readonly string[]): boolean {
  try {
    writeFileSync(file, JSON.stringify(list));
    return true;
  } catch {
    return false;
  }
}
