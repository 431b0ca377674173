/** Where new ids come from. Core never makes an id by itself. */
export interface IdGeneratorPort {
  /** A new unique id; `prefix` names what it is for, for example `req` or `aud`. */
  next(prefix: string): string;
}

/** Random bytes drawn per call to the platform's generator; 16 make one id. */
const POOL_BYTES = 4096;
const HEX_DIGITS = [...'0123456789abcdef'].map((digit) => digit.charCodeAt(0));
const UNDERSCORE = '_'.charCodeAt(0);

/**
 * `prefix_` and 32 lowercase hex digits: 128 random bits from the platform's cryptographic
 * generator, drawn in blocks rather than per id.
 *
 * Each id is written as bytes and decoded once, because an id joined from pieces
 * (`${prefix}_${hex}`, or a UUID with its dashes replaced) is kept by V8 as a tree of those
 * pieces, about four times the memory of the plain string; stores hold millions of ids.
 */
function createRandomIds(): IdGeneratorPort {
  const pool = new Uint8Array(POOL_BYTES);
  let used = POOL_BYTES;
  const decoder = new TextDecoder('latin1');
  // One buffer per prefix, holding `prefix_` followed by room for the digits.
  const buffers = new Map<string, Uint8Array>();

  return {
    next(prefix) {
      if (used === POOL_BYTES) {
        globalThis.crypto.getRandomValues(pool);
        used = 0;
      }

      const text = buffers.get(prefix) ?? startBuffer(buffers, prefix);
      for (let index = prefix.length + 1; index < text.length; index += 2) {
        const byte = pool[used] as number;
        used += 1;
        text[index] = HEX_DIGITS[byte >> 4] as number;
        text[index + 1] = HEX_DIGITS[byte & 15] as number;
      }

      // A byte holds only ASCII unchanged; any other prefix is joined to its digits as text.
      return isAscii(prefix)
        ? decoder.decode(text)
        : `${prefix}${decoder.decode(text.subarray(prefix.length))}`;
    },
  };
}

function startBuffer(buffers: Map<string, Uint8Array>, prefix: string): Uint8Array {
  const text = new Uint8Array(prefix.length + 33);
  for (let index = 0; index < prefix.length; index += 1) {
    text[index] = prefix.charCodeAt(index);
  }

  text[prefix.length] = UNDERSCORE;
  buffers.set(prefix, text);
  return text;
}

function isAscii(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    if (text.charCodeAt(index) >= 0x80) {
      return false;
    }
  }
  return true;
}

export const randomIds: IdGeneratorPort = createRandomIds();
