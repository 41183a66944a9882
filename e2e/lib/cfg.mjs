// An independent count of a program's basic blocks and CFG edges, straight from
// its bytes, to check what the app draws (deliberately not core/isa/cfg.ts).

export function decode(hex) {
  const out = [];
  for (let i = 0; i < hex.length; i += 16) {
    const b = (k) => Number.parseInt(hex.slice(i + 2 * k, i + 2 * k + 2), 16);
    const off = ((b(2) | (b(3) << 8)) << 16) >> 16;
    const imm = b(4) | (b(5) << 8) | (b(6) << 16) | (b(7) << 24);
    out.push({ code: b(0), dst: b(1) & 15, src: b(1) >> 4, off, imm });
  }
  return out;
}

export function countCfg(hex) {
  const p = decode(hex);
  const n = p.length;
  const starts = [];
  for (let i = 0; i < n; i += p[i].code === 0x18 ? 2 : 1) starts.push(i);
  const leaders = new Set(n ? [0] : []);
  const funcs = new Set(n ? [0] : []);
  const isJmp = (x) => (x.code & 7) === 5 || (x.code & 7) === 6;
  for (const i of starts) {
    const x = p[i];
    if (x.code === 0x18 && x.src === 4) {
      leaders.add(i + x.imm + 1);
      funcs.add(i + x.imm + 1);
    }
    if (!isJmp(x)) continue;
    const op = x.code & 0xf0;
    if (op === 0x80) {
      if (x.src === 1) {
        leaders.add(i + x.imm + 1);
        funcs.add(i + x.imm + 1);
      }
      continue;
    }
    if (op !== 0x90) leaders.add(i + (x.code === 0x06 ? x.imm : x.off) + 1);
    if (i + 1 < n) leaders.add(i + 1);
  }
  const blockStarts = starts.filter((i) => leaders.has(i));
  const funcOf = (i) => Math.max(...[...funcs].filter((f) => f <= i));
  let edges = 0;
  for (let k = 0; k < blockStarts.length; k++) {
    const s = blockStarts[k];
    const next = blockStarts[k + 1];
    const inBlock = starts.filter((i) => i >= s && (next === undefined || i < next));
    for (const i of inBlock) if (p[i].code === 0x85 && p[i].src === 1) edges++;
    const last = p[inBlock[inBlock.length - 1]];
    const op = last.code & 0xf0;
    const jmp = isJmp(last) && op !== 0x80;
    if (jmp && op !== 0x90) edges++; // taken
    const uncond = jmp && (op === 0x90 || op === 0x00);
    if (!uncond && next !== undefined && funcOf(next) === funcOf(s)) edges++; // fallthrough
  }
  return { blocks: blockStarts.length, edges };
}
