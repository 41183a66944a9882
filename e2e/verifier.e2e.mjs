// Verifier view: kmodel's verifier beside the kernel's answer for a corpus case.

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

export const tests = {
  async 'shows kmodel and the kernel side by side for a rejected and an accepted case'({
    page,
    url,
    corpus,
  }) {
    for (const verdict of ['reject', 'accept']) {
      const c = corpus.find((x) => x.kernel.verdict === verdict && x.origin === 'hand');
      await page.goto(`${url}#verifier/${c.id}`);
      await page.waitForFunction(
        (id) => document.querySelector('[data-testid=verify-meta] strong')?.textContent === id,
        c.id,
        {
          timeout: 30_000,
        },
      );
      const k = await page.textContent('[data-testid=verify-kernel] [data-testid=verdict]');
      assert(k.startsWith(verdict), `kernel verdict shown as ${k}`);
      const m = await page.textContent('[data-testid=verify-model] [data-testid=verdict]');
      const cmp = await page.textContent('[data-testid=verify-cmp]');
      assert(cmp.includes(m.split(' ')[0] === verdict ? 'verdict ✓' : 'verdict ✗'), `comparison says ${cmp}`);
      const log = await page.textContent('[data-testid=verify-kernel] pre.log');
      assert(log === c.kernel.log, 'kernel log shown verbatim');
      if (verdict === 'accept') {
        const rows = await page.locator('[data-testid=verify-kernel] .xl li').count();
        const want = c.kernel.xlated
          .match(/.{16}/g)
          .filter((_, i, a) => i === 0 || a[i - 1].slice(0, 2) !== '18').length;
        assert(rows === want, `kernel xlated has ${rows} rows, ${want} insns in the bytes`);
      }
    }
  },

  async 'verifies a pasted program with kmodel alone'({ page, url }) {
    await page.goto(`${url}#verifier`);
    // r0 = 0; exit — accepted after 2 insns.
    await page.fill('[data-testid=verify-hex]', 'b700000000000000 9500000000000000');
    await page.click('[data-testid=verify-run]');
    await page.waitForSelector('[data-testid=verify-model] [data-testid=verdict]');
    const v = await page.textContent('[data-testid=verify-model] [data-testid=verdict]');
    assert(v === 'accept', `verdict ${v}`);
    assert((await page.locator('[data-testid=verify-kernel]').count()) === 0, 'no kernel side');
    // r0 is read before it is written: rejected with the kernel's wording.
    await page.fill('[data-testid=verify-hex]', '9500000000000000');
    await page.click('[data-testid=verify-run]');
    await page.waitForFunction(() =>
      document
        .querySelector('[data-testid=verify-model] [data-testid=verdict]')
        ?.textContent.startsWith('reject'),
    );
    const reason = await page.textContent('[data-testid=verify-model] .reason');
    assert(reason.includes('R0 !read_ok'), `reason: ${reason}`);
  },

  async "shows a long verification's processed-insn progress and cancels it on the host"({ page, url }) {
    await page.goto(`${url}#verifier`);
    // r0 = 0; l: r0 += 1; if r0 > 0 goto l; exit — the verifier walks it to its 1M-insn limit.
    await page.fill(
      '[data-testid=verify-hex]',
      'b700000000000000 0700000001000000 2500feff00000000 9500000000000000',
    );
    await page.click('[data-testid=verify-run]');
    await page.waitForSelector('[data-testid=verify-running]');
    // The verifier's own progress: processed insns against the 1M limit, growing while it runs.
    const processed = async () =>
      Number((await page.textContent('[data-testid=verify-processed]')).replace(/,/g, ''));
    await page.waitForSelector('[data-testid=verify-progress]', { timeout: 30_000 });
    const first = await processed();
    await page.waitForFunction(
      (n) =>
        Number(document.querySelector('[data-testid=verify-processed]')?.textContent.replace(/,/g, '')) > n,
      first,
      { timeout: 30_000 },
    );
    const text = (await page.textContent('[data-testid=verify-progress]')).replace(/\s+/g, ' ');
    assert(/of 1,000,000 insns processed/.test(text), `progress: ${text}`);
    const bar = page.locator('[data-testid=verify-progress-bar]');
    assert((await bar.getAttribute('max')) === '1000000', 'the bar runs to the 1M-insn limit');
    assert(Number(await bar.evaluate((b) => b.value)) > first, 'the bar moves');
    await page.click('[data-testid=verify-cancel]');
    await page.waitForFunction(
      () => document.querySelector('.error')?.textContent === 'verification cancelled',
    );
    // The next verification gets a fresh worker at once.
    await page.fill('[data-testid=verify-hex]', 'b700000000000000 9500000000000000');
    const t0 = Date.now();
    await page.click('[data-testid=verify-run]');
    await page.waitForFunction(
      () =>
        document.querySelector('[data-testid=verify-model] [data-testid=verdict]')?.textContent === 'accept',
    );
    assert(Date.now() - t0 < 15_000, `the next verification took ${Date.now() - t0} ms`);
  },

  async 'names the struct field a typed load reaches (r1 +1444 → tcp_sock.snd_cwnd)'({ page, url }) {
    await page.goto(`${url}#verifier/clang-0002`);
    const line = page.locator('[data-testid=verify-model] ol.xl li[data-idx="1"]');
    await line.locator('[data-testid=typed-field]').waitFor({ timeout: 60_000 });
    const text = await line.textContent();
    assert(text.includes('(r1 +1444)') && text.includes('→ tcp_sock.snd_cwnd'), `line 1: ${text}`);
  },
};
