// Order matters: tsyringe (under @peculiar/x509) needs the Reflect metadata polyfill first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

// Node's native WebCrypto, so RSA-4096 generation and signing are not done in JS.
x509.cryptoProvider.set(globalThis.crypto);

export { x509 };
