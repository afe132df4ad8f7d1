import { codesOf } from '../errors/index.js';

/** Answers of the API that are not data: a code, what is wrong and what to do (codes from the one catalogue). */
export const SERVE_ERROR_CODES = codesOf('serve');

export type ServeErrorCode = keyof typeof SERVE_ERROR_CODES;

export interface ApiError {
  code: ServeErrorCode;
  message: string;
  hint: string;
}
