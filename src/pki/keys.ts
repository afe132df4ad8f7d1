import { createPrivateKey, X509Certificate as NodeX509, webcrypto, type KeyObject } from 'node:crypto';
import { PKI_ERROR_CODES, PkiError } from './errors.js';
import { encodePem } from './pem.js';
import type { KeyAlgorithm } from './types.js';

// node:crypto's WebCrypto types, so this compiles with or without the DOM lib.
export type WebCryptoKey = webcrypto.CryptoKey;
export type WebCryptoKeyPair = webcrypto.CryptoKeyPair;

/** How certificates signed by a key are signed; always SHA-2, as istio's Makefile uses -sha256. */
export type SigningAlgorithm =
  | { name: 'RSASSA-PKCS1-v1_5'; hash: 'SHA-256' }
  | { name: 'ECDSA'; hash: 'SHA-256' | 'SHA-384' };

export interface GeneratedKey {
  readonly keys: WebCryptoKeyPair;
  readonly keyPem: string;
  readonly signingAlgorithm: SigningAlgorithm;
  /** keyEncipherment only makes sense for RSA keys. */
  readonly isRsa: boolean;
}

export interface SigningKey {
  readonly privateKey: WebCryptoKey;
  readonly signingAlgorithm: SigningAlgorithm;
}

const RSA_SHA256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

function generationParams(algorithm: KeyAlgorithm): webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams {
  switch (algorithm) {
    case 'rsa-4096':
    case 'rsa-2048':
      return {
        ...RSA_SHA256,
        modulusLength: algorithm === 'rsa-4096' ? 4096 : 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
      };
    case 'ecdsa-p256':
      return { name: 'ECDSA', namedCurve: 'P-256' };
  }
}

// generateKey's overloads return CryptoKey | CryptoKeyPair for a union of params; ours are all asymmetric.
async function generatePair(
  subtle: webcrypto.SubtleCrypto,
  params: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams,
): Promise<WebCryptoKeyPair> {
  const result = await subtle.generateKey(params, true, ['sign', 'verify']);
  if (!('privateKey' in result)) throw new Error('WebCrypto returned a secret key for an asymmetric algorithm');
  return result;
}

export async function generateKey(algorithm: KeyAlgorithm): Promise<GeneratedKey> {
  const subtle = webcrypto.subtle;
  const isRsa = algorithm !== 'ecdsa-p256';
  const keys = await generatePair(subtle, generationParams(algorithm));
  const pkcs8 = await subtle.exportKey('pkcs8', keys.privateKey);
  return {
    keys,
    keyPem: encodePem('PRIVATE KEY', pkcs8),
    signingAlgorithm: isRsa ? RSA_SHA256 : { name: 'ECDSA', hash: 'SHA-256' },
    isRsa,
  };
}

/**
 * Parses with node:crypto rather than WebCrypto so roots made by istio's own
 * Makefile (PKCS#1 `BEGIN RSA PRIVATE KEY` from older openssl, SEC1 EC keys)
 * are accepted too. `what` names the file; the key text never reaches an error.
 */
export function parsePrivateKey(keyPem: string, what: string): KeyObject {
  try {
    return createPrivateKey({ key: keyPem, format: 'pem' });
  } catch {
    throw new PkiError({ code: PKI_ERROR_CODES.malformedPem, message: `${what} is not a readable, unencrypted PEM private key`, hint: `Replace ${what} with the original key file (PKCS#8 or PKCS#1 PEM, without a passphrase).`, path: what });
  }
}

function signingAlgorithmFor(key: KeyObject, what: string): SigningAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return RSA_SHA256;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType === 'ec' && curve === 'prime256v1') return { name: 'ECDSA', hash: 'SHA-256' };
  if (key.asymmetricKeyType === 'ec' && curve === 'secp384r1') return { name: 'ECDSA', hash: 'SHA-384' };
  throw new PkiError({ code: PKI_ERROR_CODES.unsupportedKey, message: `${what} holds a ${key.asymmetricKeyType ?? 'unknown'}${curve ? ` (${curve})` : ''} key, which cannot sign CA certificates here`, hint: 'Use an RSA, ECDSA P-256 or ECDSA P-384 key.', path: what });
}

export async function importSigningKey(keyPem: string, what: string): Promise<SigningKey> {
  const key = parsePrivateKey(keyPem, what);
  const signingAlgorithm = signingAlgorithmFor(key, what);
  const importParams: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams =
    signingAlgorithm.name === 'ECDSA'
      ? { name: 'ECDSA', namedCurve: signingAlgorithm.hash === 'SHA-256' ? 'P-256' : 'P-384' }
      : RSA_SHA256;
  const der = key.export({ type: 'pkcs8', format: 'der' });
  // Not extractable: the signing key only ever needs to sign.
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, importParams, false, ['sign']);
  return { privateKey, signingAlgorithm };
}

/** True when the private key belongs to the certificate's public key. */
export function keyMatchesCertificate(key: KeyObject, certDer: Uint8Array): boolean {
  try {
    return new NodeX509(Buffer.from(certDer)).checkPrivateKey(key);
  } catch {
    return false;
  }
}
