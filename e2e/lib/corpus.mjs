// Corpus cases for the e2e tests (the same file the app serves).
import { readFileSync } from 'node:fs';

export function loadCorpus(path) {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

/** Instruction lines of a verifier log: `N: (cc) text` without the `; R…` state column. */
export function logInsnLines(log) {
  const out = new Map();
  for (const line of log.split('\n')) {
    const m = /^(\d+): (\([0-9a-f]{2}\) .*?)(?:\s+;.*)?$/.exec(line);
    if (m) out.set(Number(m[1]), m[2].trimEnd());
  }
  return out;
}
