// Review notes written into a model file from the graph's details panel. The yaml
// library's Document API finds the `review:` entry and its source range; only that range
// is rewritten (or the list appended at the end), so every other byte of the file —
// comments, flow mappings with or without padding, block scalars, key order — stays.
import { isMap, isScalar, isSeq, parseDocument, stringify } from 'yaml';

export type ReviewEdit =
  | { kind: 'add'; on: string; note: string; by?: string }
  | { kind: 'edit'; index: number; note: string }
  | { kind: 'status'; index: number; status: 'open' | 'resolved' };

type Note = { on: string; note: string; by?: string; status?: string };

export function applyReviewEdit(text: string, edit: ReviewEdit): string {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(`the model file does not parse: ${doc.errors[0]!.message}`);
  if (!isMap(doc.contents)) throw new Error('the model file is not a YAML mapping');
  const pair = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === 'review');
  const notes: Note[] = pair && isSeq(pair.value) ? (pair.value.toJSON() as Note[]) : [];
  if (edit.kind === 'add') {
    notes.push({ on: edit.on, note: edit.note, ...(edit.by ? { by: edit.by } : {}), status: 'open' });
  } else {
    const n = notes[edit.index];
    if (!n) throw new Error(`no review note #${edit.index} in the file`);
    if (edit.kind === 'edit') n.note = edit.note;
    else n.status = edit.status;
  }
  // Never fold a long line.
  const block = stringify({ review: notes }, { lineWidth: 0 }).trimEnd();
  const start = pair && isScalar(pair.key) ? pair.key.range?.[0] : undefined;
  const end = pair?.value && 'range' in pair.value ? pair.value.range?.[1] : undefined;
  if (start === undefined || end === undefined) return `${text.replace(/\n*$/, '\n')}${block}\n`;
  const tail = text.slice(end);
  return `${text.slice(0, start)}${block}${tail.startsWith('\n') || tail === '' ? '' : '\n'}${tail || '\n'}`;
}
