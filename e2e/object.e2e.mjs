// BPF objects in the Program view: a clang .bpf.o opened through the file input
// and by a drop lists its programs, each listing with its C source lines (line_info).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const OBJECT = 'test/fixtures/objects/build/cc_rate.bpf.o';
const SOURCE = 'test/fixtures/objects/src/cc_rate.bpf.c';
const PROGRAMS = ['rate_cong_control', 'rate_ssthresh', 'rate_undo_cwnd', 'rate_pkts_acked'];

/** The listing as rows: C source rows (`src`) and instruction rows (`idx`). */
const listingRows = (page) =>
  page.$$eval('[data-testid=listing] li', (lis) =>
    lis.map((li) =>
      li.classList.contains('src')
        ? {
            src: li.querySelector('.text')?.textContent ?? '',
            loc: li.querySelector('.loc')?.textContent ?? '',
          }
        : { idx: Number(li.dataset.idx), text: li.querySelector('.text')?.textContent ?? '' },
    ),
  );

/** Every C row is the source file's line it names, and stands right before an instruction. */
function checkSourceRows(rows, source) {
  const srcRows = rows.filter((r) => r.src !== undefined);
  assert(srcRows.length >= 2, `only ${srcRows.length} C lines in the listing`);
  rows.forEach((r, i) => {
    if (r.src === undefined) return;
    const m = /^cc_rate\.bpf\.c:(\d+)$/.exec(r.loc);
    assert(m, `C row names '${r.loc}'`);
    assert(
      r.src === `; ${source[Number(m[1]) - 1].trim()}`,
      `C row '${r.src}' is line ${m[1]} of the source`,
    );
    assert(rows[i + 1]?.idx !== undefined, `C row ${i} is followed by an instruction`);
  });
  return srcRows.length;
}

export const tests = {
  async 'a .bpf.o from the file input lists its programs with C lines beside the BPF'({
    page,
    url,
    root,
    shot,
  }) {
    const source = readFileSync(join(root, SOURCE), 'utf8').split('\n');
    await page.goto(`${url}#program`);
    await page.setInputFiles('[data-testid=object-input]', join(root, OBJECT));
    await page.waitForSelector('[data-testid=source-line]', { timeout: 60_000 });
    assert((await page.textContent('[data-testid=object-name]')) === 'cc_rate.bpf.o', 'object named');
    const options = await page.$$eval('[data-testid=object-program] option', (os) => os.map((o) => o.value));
    assert(JSON.stringify(options) === JSON.stringify(PROGRAMS), `programs listed: ${options}`);
    let rows = await listingRows(page);
    checkSourceRows(rows, source);
    // The function's first C line opens the listing, before insn 0.
    assert(rows[0].src?.includes('BPF_PROG(rate_cong_control'), `first row: ${JSON.stringify(rows[0])}`);
    assert(rows[1].idx === 0, 'insn 0 follows it');
    // The graph is drawn for the program too.
    assert((await page.locator('[data-testid=cfg] g.cfg-node').count()) > 1, 'graph drawn');
    await shot('object-program');

    // Another program of the object: its own listing and lines (a kfunc call by name).
    await page.selectOption('[data-testid=object-program]', 'rate_ssthresh');
    await page.waitForFunction(
      () =>
        document.querySelector('[data-testid=listing] li.src .text')?.textContent?.includes('rate_ssthresh'),
      undefined,
      { timeout: 30_000 },
    );
    rows = await listingRows(page);
    checkSourceRows(rows, source);
    assert(
      rows.some((r) => /^\(85\) call tcp_reno_ssthresh#\d+$/.test(r.text ?? '')),
      'the kfunc call is named',
    );
  },

  async "an object's program in the Verifier view: its C lines before the insns of the log"({
    page,
    url,
    root,
  }) {
    const source = readFileSync(join(root, 'test/fixtures/objects/src/tc_bug_null.bpf.c'), 'utf8').split(
      '\n',
    );
    await page.goto(`${url}#program`);
    await page.setInputFiles(
      '[data-testid=object-input]',
      join(root, 'test/fixtures/objects/build/tc_bug_null.bpf.o'),
    );
    await page.waitForSelector('[data-testid=source-line]', { timeout: 60_000 });
    await page.click('[data-testid=to-verifier]');
    await page.waitForFunction(
      () => [...document.querySelectorAll('pre.log')].some((p) => p.textContent.includes(' @ ')),
      undefined,
      {
        timeout: 60_000,
      },
    );
    const log = (await page.$$eval('pre.log', (ps) => ps.map((p) => p.textContent))).find((t) =>
      t.includes(' @ '),
    );
    const lines = log.split('\n');
    const at = lines.indexOf('8: (79) r1 = *(u64 *)(r0 +0)');
    assert(at > 0, 'the rejected insn is in the log');
    assert(
      // The kernel prints the file's base name (kbasename), as kmodel does.
      lines[at - 1] === `; ${source[16].trimStart()} @ tc_bug_null.bpf.c:17`,
      `C line before the rejected insn: ${lines[at - 1]}`,
    );
  },

  async "an object's program in the JIT view: C lines above the loaded insns, x86 drawn"({
    page,
    url,
    root,
  }) {
    const source = readFileSync(join(root, SOURCE), 'utf8').split('\n');
    await page.goto(`${url}#program`);
    await page.setInputFiles('[data-testid=object-input]', join(root, OBJECT));
    await page.waitForSelector('[data-testid=source-line]', { timeout: 60_000 });
    await page.click('[data-testid=to-jit]');
    await page.waitForSelector('[data-testid=jit-source-line]', { timeout: 60_000 });
    const rows = await page.$$eval('[data-testid=jit-bpf] li', (lis) =>
      lis.map((li) => ({
        src: li.classList.contains('src'),
        text: li.textContent.replace(/\s+/g, ' ').trim(),
      })),
    );
    const src = rows.filter((r) => r.src);
    assert(src.length >= 2, `only ${src.length} C lines`);
    for (const r of src) {
      const m = /^; (.*) cc_rate\.bpf\.c:(\d+)$/.exec(r.text);
      assert(m && m[1] === source[Number(m[2]) - 1].trim().replace(/\s+/g, ' '), `C row '${r.text}'`);
    }
    assert(!rows[rows.length - 1].src, 'the listing ends with an insn');
    assert((await page.locator('[data-testid=jit-x86] li').count()) > 5, 'x86 drawn');
  },

  async 'a dropped .bpf.o opens in the Program view'({ page, url, root }) {
    await page.goto(`${url}#models`);
    await page.waitForSelector('[data-testid=model-list]', { timeout: 60_000 });
    const b64 = readFileSync(join(root, OBJECT)).toString('base64');
    const dt = await page.evaluateHandle((data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const d = new DataTransfer();
      d.items.add(new File([bytes], 'cc_rate.bpf.o', { type: 'application/octet-stream' }));
      return d;
    }, b64);
    await page.dispatchEvent('main', 'dragover', { dataTransfer: dt });
    await page.dispatchEvent('main', 'drop', { dataTransfer: dt });
    await page.waitForSelector('[data-testid=source-line]', { timeout: 60_000 });
    assert((await page.evaluate(() => location.hash)) === '#program', 'routed to the Program view');
    assert((await page.textContent('[data-testid=object-name]')) === 'cc_rate.bpf.o', 'object named');
  },
};
