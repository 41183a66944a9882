// The `kmodel` process (bundled to out/cli/kmodel.mjs). It loads only the
// command list here; each command's module is imported when it runs.
import { dispatch } from './dispatch';

// A reader that goes away early (`kmodel btf dump … | head`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

// Flush stdout before exiting so piped output is never cut short.
dispatch(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stdoutFd: 1,
  stderrIsTTY: process.stderr.isTTY === true,
}).then((code) => {
  process.exitCode = code;
});
