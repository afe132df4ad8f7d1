import { codesOf } from '../errors/index.js';

/** Codes of failures to write rendered files (from the one catalogue); the folder and file are named, never contents. */
export const RENDER_ERROR_CODES = codesOf('render');

export type RenderErrorCode = keyof typeof RENDER_ERROR_CODES;

export class RenderError extends Error {
  override readonly name = 'RenderError';
  constructor(
    readonly code: RenderErrorCode,
    message: string,
    readonly hint: string,
    /** The file or folder concerned. */
    readonly path: string,
  ) {
    super(message);
  }
}
