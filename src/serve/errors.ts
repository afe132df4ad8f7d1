/** Answers of the API that are not data: a code, what is wrong and what to do. */
export const SERVE_ERROR_CODES = {
  MF9501: 'no such route',
  MF9502: 'no such service',
  MF9503: 'bad query parameter',
  MF9504: 'method not allowed',
} as const;

export type ServeErrorCode = keyof typeof SERVE_ERROR_CODES;

export interface ApiError {
  code: ServeErrorCode;
  message: string;
  hint: string;
}
