/**
 * Credentials out of text we print, log or serve. Error messages of HTTP libraries and tools
 * can quote a request (its Authorization header), a URL with user:password, or a kubeconfig
 * line; whatever their source, these shapes are replaced before the text leaves meshfed.
 * Patterns, not a list of known secrets: a token we never saw is caught too.
 */
const PATTERNS: readonly [RegExp, string][] = [
  // Authorization: Bearer <token>, Basic <base64>, also inside JSON or a header dump.
  [/\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]{4,}/gi, '$1$2<redacted>'],
  // userinfo of a URL: https://user:password@host, https://token@host
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@'"<>]+@/gi, '$1<redacted>@'],
  // key: value / key=value for the names credentials go by (YAML, JSON, query strings, env).
  [/\b(token|access[_-]?token|id[_-]?token|refresh[_-]?token|password|passwd|secret|client-key-data|client-certificate-data|api[_-]?key)(["']?\s*[:=]\s*["']?)(?!<redacted>)[^\s"',;&}]+/gi, '$1$2<redacted>'],
  // A JWT anywhere (service-account tokens are JWTs): header.payload.signature, base64url.
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, '<redacted>'],
  // PEM private keys.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '<redacted private key>'],
];

export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** A URL fit to print: user name and password dropped (the rest as given). */
export function redactUrl(url: string): string {
  if (!URL.canParse(url)) return redactSecrets(url);
  const u = new URL(url);
  if (u.username === '' && u.password === '') return url;
  return redactSecrets(url);
}
