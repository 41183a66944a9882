// Export of a drawn graph: the on-screen <svg> cloned with its computed styles
// written as presentation attributes (the CSP forbids style attributes, and a
// standalone file has no app stylesheet), the zoom undone, sized to its content.
// PNG: that SVG drawn on a canvas, a model graph's provenance in a band below and in
// tEXt chunks. Both the app's export button and the headless `kmodel export` (through
// window.kmodelExport) use these functions.

import type { Provenance } from '../../../main/api/types';
import { downloadHref } from './download';
import { saveText } from './menu';
import { bytesDataUrl, dataUrlBytes, withPngText } from './png-text';
import { type PngStamp, provenanceLines, provenanceStamp, withProvenanceComment } from './provenance';

/** Properties copied from the computed style; each is also an SVG presentation attribute. */
const PROPS = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-dasharray',
  'stroke-opacity',
  'opacity',
  'font-family',
  'font-size',
  'font-weight',
  'font-style',
  'text-anchor',
  'dominant-baseline',
  'visibility',
  'display',
] as const;

/** Non-inherited properties and their initial values. */
const NOT_INHERITED: Partial<Record<(typeof PROPS)[number], string>> = { opacity: '1', display: 'inline' };

const SVG_NS = 'http://www.w3.org/2000/svg';

export interface SvgExportOptions {
  /** Content size (the layout's); the export's viewBox. */
  width: number;
  height: number;
  /** Selector of the zoomed group whose transform is dropped. */
  viewport?: string;
  /** Paint the background (the theme's --bg-sunk). */
  background?: boolean;
  title?: string;
}

/** A standalone SVG document of `svg` with inlined styles. */
export function serializeSvg(svg: SVGSVGElement, opts: SvgExportOptions): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const src = [svg, ...svg.querySelectorAll('*')];
  const dst = [clone, ...clone.querySelectorAll('*')];
  const styles = new Map<Element, CSSStyleDeclaration>(src.map((el) => [el, getComputedStyle(el)]));
  src.forEach((el, i) => {
    const out = dst[i];
    if (!out || el === svg) return;
    const cs = styles.get(el)!;
    const parent = el.parentElement ? styles.get(el.parentElement) : undefined;
    for (const p of PROPS) {
      const v = cs.getPropertyValue(p);
      if (!v) continue;
      // Inherited properties only where they change (keeps the file small); the rest when not default.
      if (NOT_INHERITED[p] !== undefined ? v === NOT_INHERITED[p] : parent?.getPropertyValue(p) === v)
        continue;
      out.setAttribute(p, v);
    }
    out.removeAttribute('class');
  });
  // The root's inherited values, once.
  const rootStyle = styles.get(svg)!;
  for (const p of ['fill', 'stroke', 'font-family', 'font-size'] as const) {
    const v = rootStyle.getPropertyValue(p);
    if (v) clone.setAttribute(p, v);
  }
  for (const a of ['class', 'tabindex', 'role', 'style']) clone.removeAttribute(a);
  const vp = opts.viewport ? clone.querySelector(opts.viewport) : null;
  vp?.removeAttribute('transform');
  clone.setAttribute('xmlns', SVG_NS);
  clone.setAttribute('width', String(Math.ceil(opts.width)));
  clone.setAttribute('height', String(Math.ceil(opts.height)));
  clone.setAttribute('viewBox', `0 0 ${Math.ceil(opts.width)} ${Math.ceil(opts.height)}`);
  if (opts.title) {
    const t = document.createElementNS(SVG_NS, 'title');
    t.textContent = opts.title;
    clone.insertBefore(t, clone.firstChild);
  }
  if (opts.background !== false) {
    const bg = document.createElementNS(SVG_NS, 'rect');
    bg.setAttribute('width', '100%');
    bg.setAttribute('height', '100%');
    bg.setAttribute('fill', getComputedStyle(svg).backgroundColor || '#ffffff');
    const after = clone.querySelector('defs');
    clone.insertBefore(bg, after ? after.nextSibling : clone.firstChild);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}\n`;
}

const FOOTER_FONT = "11px ui-monospace, 'DejaVu Sans Mono', monospace";
const FOOTER_LINE = 15;
const FOOTER_PAD = 8;

/**
 * Renders SVG text to a PNG data URL at `scale` device pixels per unit; with a stamp, the
 * provenance is drawn in a band below (the canvas widens when a line is wider than the
 * picture) and written as tEXt chunks.
 */
export function svgToPng(
  svgText: string,
  width: number,
  height: number,
  opts: { scale?: number; stamp?: PngStamp | null } = {},
): Promise<string> {
  const scale = opts.scale ?? 2;
  const stamp = opts.stamp ?? null;
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      const canvas = document.createElement('canvas');
      let ctx = canvas.getContext('2d');
      if (!ctx) return reject(new Error('no 2d canvas'));
      let w = width;
      let h = height;
      if (stamp) {
        ctx.font = FOOTER_FONT;
        const text = Math.max(...stamp.footer.map((l) => ctx!.measureText(l).width));
        w = Math.max(width, text + 2 * FOOTER_PAD);
        h = height + stamp.footer.length * FOOTER_LINE + 2 * FOOTER_PAD;
      }
      canvas.width = Math.ceil(w * scale);
      canvas.height = Math.ceil(h * scale);
      ctx = canvas.getContext('2d')!;
      ctx.scale(scale, scale);
      if (stamp) {
        ctx.fillStyle = '#ffffff';
        ctx.fillRect(0, 0, w, h);
      }
      ctx.drawImage(img, 0, 0, width, height);
      if (stamp) {
        ctx.fillStyle = '#f3f3f3';
        ctx.fillRect(0, height, w, h - height);
        ctx.fillStyle = '#bbbbbb';
        ctx.fillRect(0, height, w, 1);
        ctx.fillStyle = '#333333';
        ctx.font = FOOTER_FONT;
        ctx.textBaseline = 'top';
        for (const [i, l] of stamp.footer.entries())
          ctx.fillText(l, FOOTER_PAD, height + FOOTER_PAD + i * FOOTER_LINE);
      }
      const url = canvas.toDataURL('image/png');
      resolve(stamp ? bytesDataUrl(withPngText(dataUrlBytes(url), stamp.text)) : url);
    };
    img.onerror = () => reject(new Error('the SVG did not render as an image'));
    // A data: URL (the CSP allows data: images, not blob:).
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svgText)}`;
  });
}

/** Saves a data URL or text as a file through the browser's download. */
export function download(filename: string, data: string, mime = 'text/plain'): void {
  downloadHref(
    filename,
    data.startsWith('data:') ? data : `data:${mime};charset=utf-8,${encodeURIComponent(data)}`,
  );
}

/** Something the export menu can export. */
export interface ExportTarget {
  name: string;
  svg(): string;
  width: number;
  height: number;
  /** What the graph was drawn from (a model's graph): in the SVG as a comment, on and in the PNG. */
  provenance?: Provenance | null;
  title?: string;
}

/** The target's SVG document, naming what drew it. */
export function targetSvg(t: ExportTarget): string {
  return withProvenanceComment(t.svg(), t.provenance ? provenanceLines(t.provenance) : []);
}

/** The target as a PNG data URL, with its provenance when it has one. */
export function targetPng(t: ExportTarget): Promise<string> {
  return svgToPng(t.svg(), t.width, t.height, {
    stamp: t.provenance ? provenanceStamp(t.provenance, t.title) : null,
  });
}

export async function exportTarget(t: ExportTarget, format: 'svg' | 'png'): Promise<void> {
  // Text goes through the app's save path (Electron's dialog, or a download).
  if (format === 'svg')
    await saveText({ text: targetSvg(t), name: t.name, ext: 'svg', as: true }, 'image/svg+xml');
  else download(`${t.name}.png`, await targetPng(t));
}

/** PNG of any standalone SVG text (e.g. the CFG's export), sized by its width/height. */
export async function svgTextToPng(text: string, name: string, stamp?: PngStamp): Promise<void> {
  const root = new DOMParser().parseFromString(text, 'image/svg+xml').documentElement;
  const w = Number.parseFloat(root.getAttribute('width') ?? '') || 800;
  const h = Number.parseFloat(root.getAttribute('height') ?? '') || 600;
  download(`${name}.png`, await svgToPng(text, w, h, { stamp }));
}
