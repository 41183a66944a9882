// A file named on the command line, read within its input limit; errors as the one-line CliError.
import { type InputKind, readInputFile, readInputText } from '../main/host/input-file';
import { CliError } from './errors';

function orCliError<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof Error && e.name === 'InputFileError') throw new CliError(e.message);
    throw e;
  }
}

export const readInputBytesOrFail = (path: string, kind: InputKind): Uint8Array =>
  orCliError(() => readInputFile(path, kind));

export const readInputTextOrFail = (path: string, kind: InputKind): string =>
  orCliError(() => readInputText(path, kind));
