// What a reader needs to reproduce an export: which kmodel, which reference kernel (release
// and BTF checksum), which profiles, when, and which model file (its sha256). Filled on the
// host (main/host/provenance.ts: core has no hash or clock of its own); formatted here.

export interface Provenance {
  kmodel: string;
  kernel: { release: string; arch: string; btfSha256: string };
  profiles: string[];
  /** ISO 8601, UTC. */
  date: string;
  model: { file: string; sha256: string };
}

/** One line each, for text, Markdown lists and the report page. */
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
