import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PKI_ERROR_CODES, PkiError } from './errors.js';

export const KEY_MODE = 0o600;
export const CERT_MODE = 0o644;
export const DIR_MODE = 0o700;

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

function ioError(action: string, path: string, error: unknown): PkiError {
  return new PkiError(
    PKI_ERROR_CODES.io,
    `cannot ${action} ${path}: ${errorCode(error) ?? 'I/O error'}`,
    'Check that the path exists, is a regular file or folder, and that you may read and write it.',
    path,
  );
}

/** File contents, or undefined when the file does not exist. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw ioError('read', path, error);
  }
}

export async function fileMode(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mode & 0o777;
  } catch {
    return undefined;
  }
}

export async function ensureDir(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true, mode: DIR_MODE });
    // mkdir's mode is filtered by umask and ignored for an existing folder; it holds keys.
    await chmod(path, DIR_MODE);
  } catch (error) {
    throw ioError('create folder', path, error);
  }
}

/**
 * Writes via a temp file and rename so a crash never leaves half a key, and so
 * the final mode comes from the temp file we created (0600 from the first byte)
 * rather than from whatever file existed before.
 */
export async function writeFileAtomic(path: string, content: string, mode: number): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'wx', mode);
    try {
      await handle.chmod(mode); // the umask may have removed bits we want (0644 certs under umask 077)
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw ioError('write', path, error);
  }
}
