// The app frame: CSP in force (header and meta) with no violations in any view,
// inline script refused,
// keyboard view switching, the API over HTTP.

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

export const tests = {
  async 'runs every view under the strict CSP without a violation'({ page, url, corpus, expectConsole }) {
    await page.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`),
      );
    });
    const res = await page.goto(url);
    const header = res.headers()['content-security-policy'];
    assert(header?.includes("default-src 'self'") && !header.includes('unsafe'), `CSP header: ${header}`);
    const meta = await page.getAttribute('meta[http-equiv=Content-Security-Policy]', 'content');
    // The header adds frame-ancestors, which a meta CSP cannot carry.
    assert(header === `${meta}; frame-ancestors 'none'`, `meta tag and header agree: ${meta} / ${header}`);
    const accepted = corpus.find((c) => c.kernel.verdict === 'accept' && c.insns.length / 16 > 8);
    for (const hash of [
      `#program/${accepted.id}`,
      '#btf/1',
      `#verifier/${accepted.id}`,
      `#jit/${accepted.id}`,
      '#models/tcp_cc',
      '#home',
      '#edit/new',
      '#edit/tcp_cc',
      '#graph/qdisc',
    ]) {
      await page.goto(`${url}${hash}`);
      await page.waitForLoadState('networkidle');
    }
    const v = await page.evaluate(() => window.__cspViolations);
    assert(v.length === 0, `CSP violations: ${v.join(', ')}`);
    // An injected inline script is refused, and reported.
    expectConsole(/Executing inline script violates/);
    const ran = await page.evaluate(async () => {
      const el = document.createElement('script');
      el.textContent = 'window.__inlineRan = true';
      document.body.append(el);
      await new Promise((r) => setTimeout(r, 100));
      return window.__inlineRan === true;
    });
    assert(!ran, 'inline script ran');
    const after = await page.evaluate(() => window.__cspViolations);
    assert(
      after.some((x) => x.startsWith('script-src')),
      `inline script not reported: ${after}`,
    );
  },

  async 'switches views with Alt+digit'({ page, url }) {
    await page.goto(`${url}#program`);
    await page.waitForSelector('nav button');
    for (const [key, view] of [
      ['2', 'btf'],
      ['5', 'models'],
      ['1', 'program'],
    ]) {
      await page.keyboard.press(`Alt+${key}`);
      await page.waitForFunction((v) => location.hash.startsWith(`#${v}`), view);
    }
  },
};
