// JIT view: loaded BPF | kernel xlated | kmodel x86-64, linked by hover.

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

export const tests = {
  async 'shows the x86 image of an accepted tcp-cc program, byte-exact with the kernel'({
    page,
    url,
    corpus,
  }) {
    // A struct_ops program that calls out of the image (kfuncs / helpers).
    const c = corpus.find(
      (x) =>
        x.prog_type === 'struct_ops' &&
        x.kernel.verdict === 'accept' &&
        x.kernel.jited_calls.some((k) => k.kind === 'call'),
    );
    assert(c, 'no accepted struct_ops case with calls');
    await page.goto(`${url}#jit/${c.id}`);
    await page.waitForSelector('[data-testid=jit-x86] li', { timeout: 30_000 });
    const exact = await page.textContent('[data-testid=jit-exact]');
    assert(exact === 'byte-exact with the kernel', `JIT verdict: ${exact}`);
    const bytes = await page.$$eval('[data-testid=jit-x86] .bytes', (els) =>
      els.map((e) => e.textContent).join(''),
    );
    assert(
      bytes.length === c.kernel.jited.length,
      `x86 listing has ${bytes.length / 2} bytes, kernel ${c.kernel.jited.length / 2}`,
    );
    const xl = await page.locator('[data-testid=jit-xlated] li').count();
    assert(xl > 0, 'xlated listing shown');
    // Every symbol the kernel's image calls appears in the listing.
    const text = await page.textContent('[data-testid=jit-x86]');
    for (const k of c.kernel.jited_calls) assert(text.includes(k.symbol), `call to ${k.symbol} named`);

    // Hover the last xlated insn (exit): its x86 lines light up, nothing else.
    const last = page.locator('[data-testid=jit-xlated] li').last();
    const idx = await last.getAttribute('data-idx');
    await last.hover();
    const lit = await page.$$eval('[data-testid=jit-x86] li.hot', (els) => els.map((e) => e.dataset.insn));
    assert(
      lit.length > 0 && lit.every((i) => i === idx),
      `hovering xlated ${idx} lit ${JSON.stringify(lit)}`,
    );
  },

  async "names the struct field of the BPF listing's typed loads"({ page, url }) {
    await page.goto(`${url}#jit/clang-0002`);
    const line = page.locator('[data-testid=jit-bpf] li').nth(1);
    await line.locator('[data-testid=typed-field]').waitFor({ timeout: 30_000 });
    const text = await line.textContent();
    assert(text.includes('(r1 +1444)') && text.includes('→ tcp_sock.snd_cwnd'), `BPF line 1: ${text}`);
  },
};
