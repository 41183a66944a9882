import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../errors';
import { serve } from './serve';

const run = (argv: string[]) => serve.run({ argv, stdout: () => {}, stderr: () => {} });

describe('kmodel serve', () => {
  it('refuses bad options with one line', async () => {
    await expect(run(['--port', 'http'])).rejects.toThrow(CliError);
    await expect(run(['--port', '70000'])).rejects.toThrow(/--port must be 0..65535/);
    await expect(run(['--bogus', '1'])).rejects.toThrow(/unknown option --bogus/);
    await expect(run(['/no/such/models'])).rejects.toThrow(/\/no\/such\/models: no such file or folder/);
    // MODEL as everywhere: a shipped model's name is accepted (the next check is the port's).
    await expect(run(['qdisc', '--port', 'http'])).rejects.toThrow(/--port must be/);
    await expect(run(['no_such_model'])).rejects.toThrow(/no shipped model of that name/);
  });

  // Needs the web renderer (npm test builds it first).
  const built = existsSync(join(__dirname, '../../out/renderer-web/index.html'));
  it.skipIf(!built)('reports a port it cannot listen on', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    try {
      await expect(run(['--port', String(port)])).rejects.toThrow(/cannot listen on 127.0.0.1:\d+/);
    } finally {
      taken.close();
    }
  });
});
