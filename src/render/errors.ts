/** Codes of failures to write rendered files; the folder and file are named, never contents. */
export const RENDER_ERROR_CODES = {
  MF3801: 'the output folder is not empty and holds no manifest of a previous render',
  MF3802: 'a path meshfed would write through is a symlink or not a regular file or folder',
  MF3803: 'a file meshfed would write exists and was not written by a previous render',
  MF3804: "the output folder's manifest cannot be read",
  MF3805: 'a rendered file cannot be written',
} as const;

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
