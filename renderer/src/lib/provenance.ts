// What drew an export, in the forms each export carries it: lines (Markdown, text, the
// SVG's comment), a short visible footer and PNG tEXt keywords. The record comes from the
// API (compare, subsystemGraph); core/analysis/provenance.ts formats the CLI's lines the
// same way (the renderer may not import core).

import type { Provenance, VersionResult } from '../../../main/api/types';

/** kmodel, reference kernel + BTF checksum, profiles, date, model file checksum: one line each. */
export function provenanceLines(p: Provenance): string[] {
  return [
    `kmodel ${p.kmodel}`,
    `reference kernel: Linux ${p.kernel.release} (${p.kernel.arch})`,
    `reference BTF sha256: ${p.kernel.btfSha256}`,
    `profiles: ${p.profiles.join(', ')}`,
    `date: ${p.date}`,
    `model: ${p.model.file}`,
    `model sha256: ${p.model.sha256}`,
  ];
}

/** The same facts in three lines, for the band under a PNG. */
export function provenanceFooter(p: Provenance): string[] {
  return [
    `kmodel ${p.kmodel} · ${p.date} · profiles ${p.profiles.join(', ')}`,
    `reference kernel Linux ${p.kernel.release} (${p.kernel.arch}), BTF sha256 ${p.kernel.btfSha256}`,
    `model ${p.model.file}, sha256 ${p.model.sha256}`,
  ];
}

/** PNG tEXt entries under the PNG specification's keywords; Comment holds every line. */
export function provenancePngText(p: Provenance, title?: string): [string, string][] {
  return [
    ...(title ? [['Title', title] as [string, string]] : []),
    ['Software', `kmodel ${p.kmodel}`],
    ['Source', `Linux ${p.kernel.release} (${p.kernel.arch}), reference BTF sha256 ${p.kernel.btfSha256}`],
    ['Creation Time', p.date],
    ['Comment', provenanceLines(p).join('\n')],
  ];
}

/** What drew a PNG: a band of lines under the picture, and tEXt chunks for tools. */
export interface PngStamp {
  footer: string[];
  text: [string, string][];
}

/** A model's graph: every provenance fact, seen and machine-read. */
export function provenanceStamp(p: Provenance, title?: string): PngStamp {
  return { footer: provenanceFooter(p), text: provenancePngText(p, title) };
}

/** A picture of a program (no model): kmodel, the reference kernel, when, and what it shows. */
export function programStamp(v: VersionResult, title: string, now = new Date()): PngStamp {
  const date = now.toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    footer: [`${title} · kmodel ${v.kmodel} · reference kernel Linux ${v.kernel} · ${date}`],
    text: [
      ['Title', title],
      ['Software', `kmodel ${v.kmodel}`],
      ['Source', `Linux ${v.kernel}`],
      ['Creation Time', date],
    ],
  };
}

/** The graph file names what it was drawn from: an XML comment after the prolog. */
export function withProvenanceComment(svg: string, lines: readonly string[]): string {
  if (!lines.length) return svg;
  const comment = `<!--\n  ${lines.map((l) => l.replace(/--/g, '- -')).join('\n  ')}\n-->\n`;
  const m = /^(<\?xml[^>]*\?>\s*)/.exec(svg);
  return m ? `${m[1]}${comment}${svg.slice(m[1]!.length)}` : `${comment}${svg}`;
}
