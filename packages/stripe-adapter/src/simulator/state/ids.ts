import { randomBytes } from 'node:crypto';
import type { IdGeneratorPort } from '@memberpay/core';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `length` random characters of [0-9A-Za-z]. */
export function randomToken(length: number): string {
  const bytes = randomBytes(length);
  let token = '';
  for (const byte of bytes) {
    // The slight modulo bias does not matter for test ids.
    token += ALPHABET[byte % ALPHABET.length];
  }
  return token;
}

/** Ids shaped like Stripe's: `in_` followed by 24 random characters. */
export const stripeLikeIds: IdGeneratorPort = {
  next: (prefix) => `${prefix}_${randomToken(24)}`,
};
