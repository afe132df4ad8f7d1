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
  return new PkiError({ code: PKI_ERROR_CODES.io, message: `cannot ${action} ${path}: ${errorCode(error) ?? 'I/O error'}`, hint: 'Check that the path exists, is a regular file or folder, and that you may read and write it.', path, cause: error });
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

/**
 * Creates `path` (and missing parents) 0700 for the keys it will hold. Only folders created
 * here get their mode set: an existing folder (`rootDir: .` is the project folder) keeps its
 * mode, and a symlink is never chmodded through.
 */
export async function ensureDir(path: string): Promise<void> {
  try {
    const first = await mkdir(path, { recursive: true, mode: DIR_MODE });
    if (first === undefined) return;
    // mkdir's mode is filtered by the umask; set it on each folder made, from the first down.
    const made = [first];
    for (let p = path; p !== first && p.length > first.length; p = dirname(p)) made.push(p);
    for (const dir of made) await chmod(dir, DIR_MODE);
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
