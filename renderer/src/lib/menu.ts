// Menu commands from Electron's application menu (absent in the browser host),
// and saving text files through whichever host exists.

import { downloadBlob } from './download';

export interface SaveRequest {
  text: string;
  name: string;
  ext: string;
  as: boolean;
}

interface MenuBridge {
  on(listener: (command: string, arg?: string) => void): void;
  save(req: SaveRequest): Promise<{ ok: boolean; path?: string }>;
}

declare global {
  interface Window {
    kmodelMenu?: MenuBridge;
  }
}

type Listener = (command: string, arg?: string) => void;
const listeners = new Set<Listener>();
let wired = false;

/** Subscribes to menu commands; returns the unsubscribe function. */
export function onMenu(listener: Listener): () => void {
  if (!wired && window.kmodelMenu) {
    wired = true;
    window.kmodelMenu.on((c, a) => {
      for (const l of listeners) l(c, a);
    });
  }
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Saves through Electron's dialog, or as a browser download. */
export async function saveText(req: SaveRequest, mime = 'text/plain'): Promise<void> {
  if (window.kmodelMenu) {
    await window.kmodelMenu.save(req);
    return;
  }
  downloadBlob(`${req.name}.${req.ext}`, new Blob([req.text], { type: mime }));
}

const PROPS = [
  'fill',
  'stroke',
  'stroke-width',
  'stroke-dasharray',
  'font-family',
  'font-size',
  'font-weight',
];

/** A standalone SVG of a drawn graph: computed colours inlined, since page CSS does not travel. */
export function svgText(svg: SVGSVGElement): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const src = svg.querySelectorAll<SVGElement>('*');
  const dst = clone.querySelectorAll<SVGElement>('*');
  src.forEach((el, i) => {
    const cs = getComputedStyle(el);
    const out = dst[i]!;
    for (const p of PROPS) out.setAttribute(p, cs.getPropertyValue(p));
  });
  const g = svg.querySelector('g');
  const box = g ? (g as SVGGraphicsElement).getBBox() : { x: 0, y: 0, width: 800, height: 600 };
  clone.querySelector('g')?.removeAttribute('transform');
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('viewBox', `${box.x - 10} ${box.y - 10} ${box.width + 20} ${box.height + 20}`);
  clone.setAttribute('width', String(Math.ceil(box.width + 20)));
  clone.setAttribute('height', String(Math.ceil(box.height + 20)));
  return new XMLSerializer().serializeToString(clone);
}
