// `kmodel export MODEL`: the review report and subsystem graph as SVG, PNG,
// Markdown and PDF, drawn by the app's own views in headless Chromium.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPackageRoot } from '../../main/api/handlers';
import { EXPORT_FORMATS, ExportError, type ExportFormat, exportModel } from '../../main/host/export';
import { checkFlags, flagString, parseArgs } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { type ModelArg, resolveModelArg } from '../model-arg';

export function parseFormats(text: string | undefined): ExportFormat[] {
  if (text === undefined) return [...EXPORT_FORMATS];
  const list = text.split(',').map((s) => s.trim());
  for (const f of list)
    if (!(EXPORT_FORMATS as readonly string[]).includes(f))
      throw new CliError(`--format must be svg, png, md, txt or pdf (comma-separated), got '${f}'`);
  return [...new Set(list)] as ExportFormat[];
}

/** The API's identifier for MODEL: a shipped model's name, any other file's absolute path. */
export const exportModelId = (m: ModelArg): string => (m.shipped ? m.name : m.path);

export const exportCmd: Command = {
  async run(ctx) {
    const args = parseArgs(ctx.argv);
    checkFlags(args, ['format', 'out']);
    if (args.positional.length !== 1)
      throw new CliError(
        args.positional.length ? `unexpected argument '${args.positional[1]}'` : 'missing MODEL',
      );
    const formats = parseFormats(flagString(args, 'format'));
    const outDir = resolve(flagString(args, 'out') ?? '.');
    const root = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
    const model = exportModelId(resolveModelArg(args.positional[0]!, resolve(root, 'models')));
    try {
      const files = await exportModel({
        root,
        model,
        formats,
        outDir,
        progress: (m) => ctx.stderr(`${m}\n`),
      });
      for (const f of files)
        ctx.stdout(
          `${f.path}\t${f.bytes} bytes${f.pages !== undefined ? `\t${f.pages} pages` : ''}${f.width ? `\t${f.width}x${f.height}` : ''}\n`,
        );
      return 0;
    } catch (e) {
      if (e instanceof ExportError) throw new CliError(e.message);
      throw e;
    }
  },
};
