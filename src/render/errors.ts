import { codesOf, MeshfedError } from '../errors/index.js';

/** Codes of failures to write rendered files (from the one catalogue); the folder and file are named, never contents. */
export const RENDER_ERROR_CODES = codesOf('render');

export type RenderErrorCode = keyof typeof RENDER_ERROR_CODES;

export class RenderError extends MeshfedError<RenderErrorCode> {
  override readonly name = 'RenderError';
  /** The file or folder concerned (also the error's resource). */
  readonly path: string;

  constructor(init: { code: RenderErrorCode; message: string; hint: string; path: string; cause?: unknown }) {
    super({ code: init.code, message: init.message, hint: init.hint, resource: init.path, cause: init.cause });
    this.path = init.path;
  }
}
