/**
 * Exact reading of X12 decimal (`R`) elements straight from bytes into integer cents.
 *
 * X12.6 allows an optional leading minus, a decimal point only where there is a fraction
 * (`20`, `20.5`, `.5`; senders also write `20.`), and an optional exponent (`1E2`). Digits
 * are accumulated as integers; a value whose cents are not a whole number is refused rather
 * than rounded, so no float ever carries money.
 */

/** Returned by {@link parseCents} when the bytes are not an amount this parser accepts. */
export const NOT_AN_AMOUNT = Number.MIN_SAFE_INTEGER;

/** The largest magnitude accepted: ten trillion dollars, so that sums stay exact integers. */
export const MAX_AMOUNT_CENTS = 1_000_000_000_000_000;

const MAX_EXPONENT_DIGITS = 3;

/** 10^0 to 10^16; a mantissa times 10^16 is past {@link MAX_AMOUNT_CENTS} whatever it is. */
const POWERS_OF_TEN = Array.from({ length: 17 }, (_, n) => 10 ** n);

/** Reads `buf[start, end)` as an amount in cents, or returns {@link NOT_AN_AMOUNT}. */
export function parseCents(buf: Uint8Array, start: number, end: number): number {
  // The usual shape, `-123.45` with at most two decimals and at most 13 digits, is read in
  // one pass; anything else (an exponent, more decimals, longer numbers) takes the slow path.
  let i = start;
  const negative = buf[i] === 0x2d;
  if (negative) i++;
  const digitsStart = i;
  let whole = 0;
  for (; i < end; i++) {
    const c = buf[i] as number;
    if (c < 0x30 || c > 0x39) break;
    whole = whole * 10 + (c - 0x30);
  }
  let digits = i - digitsStart;
  let cents = whole * 100;
  if (i < end && buf[i] === 0x2e) {
    i++;
    const fractionStart = i;
    let fraction = 0;
    for (; i < end; i++) {
      const c = buf[i] as number;
      if (c < 0x30 || c > 0x39) break;
      fraction = fraction * 10 + (c - 0x30);
    }
    const fractionDigits = i - fractionStart;
    if (fractionDigits > 2) return parseCentsExactly(buf, start, end);
    digits += fractionDigits;
    cents += fractionDigits === 1 ? fraction * 10 : fraction;
  }
  if (i !== end || digits === 0 || digits > 13) return parseCentsExactly(buf, start, end);
  return negative && cents !== 0 ? -cents : cents;
}

function parseCentsExactly(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  let negative = false;
  if (buf[i] === 0x2d) {
    negative = true;
    i++;
  }

  // Zeros are held back until a non-zero digit follows, so that trailing zeros of a fraction
  // (`1.500`) never inflate the mantissa past the safe-integer range.
  let mantissa = 0;
  let heldZeros = 0;
  let digits = 0;
  let fractionDigits = 0;
  let inFraction = false;
  for (; i < end; i++) {
    const c = buf[i] as number;
    if (c >= 0x30 && c <= 0x39) {
      digits++;
      if (inFraction) fractionDigits++;
      if (c === 0x30) {
        if (mantissa !== 0) heldZeros++;
        continue;
      }
      if (heldZeros + 1 >= POWERS_OF_TEN.length) return NOT_AN_AMOUNT;
      mantissa = mantissa * (POWERS_OF_TEN[heldZeros + 1] as number) + (c - 0x30);
      heldZeros = 0;
      if (mantissa > MAX_AMOUNT_CENTS) return NOT_AN_AMOUNT;
    } else if (c === 0x2e && !inFraction) {
      inFraction = true;
    } else {
      break;
    }
  }
  if (digits === 0) return NOT_AN_AMOUNT;

  let exponent = 0;
  if (i < end) {
    const e = buf[i];
    if (e !== 0x45 && e !== 0x65) return NOT_AN_AMOUNT;
    i++;
    let exponentNegative = false;
    if (buf[i] === 0x2d) {
      exponentNegative = true;
      i++;
    }
    const exponentStart = i;
    for (; i < end; i++) {
      const c = buf[i] as number;
      if (c < 0x30 || c > 0x39) return NOT_AN_AMOUNT;
      exponent = exponent * 10 + (c - 0x30);
    }
    const exponentLength = i - exponentStart;
    if (exponentLength === 0 || exponentLength > MAX_EXPONENT_DIGITS) return NOT_AN_AMOUNT;
    if (exponentNegative) exponent = -exponent;
  }

  if (mantissa === 0) return 0;

  // value = mantissa * 10^(heldZeros - fractionDigits + exponent); cents move the point by two.
  let scale = heldZeros - fractionDigits + exponent + 2;
  if (scale < 0) return NOT_AN_AMOUNT;
  let cents = mantissa;
  for (; scale > 0; scale--) {
    cents *= 10;
    if (cents > MAX_AMOUNT_CENTS) return NOT_AN_AMOUNT;
  }
  return negative ? -cents : cents;
}

/**
 * Why bytes that {@link parseCents} refused are not an amount, in words for a diagnostic.
 * Only called on the error path.
 */
export function describeAmountProblem(text: string): string {
  if (!/^-?(\d+\.?\d*|\.\d+)([Ee]-?\d{1,3})?$/.test(text)) {
    return 'is not a decimal number';
  }
  const [mantissa = '', exponent = '0'] = text.replace(/^-/, '').split(/[Ee]/);
  const [, fraction = ''] = mantissa.split('.');
  const significant = fraction.replace(/0+$/, '').length - Number(exponent);
  if (significant > 2) return 'has more than two decimal places';
  return 'is too large';
}

/** Reads a decimal text as cents, or null when it is not an amount (outside the hot path). */
export function centsFromText(text: string): number | null {
  const bytes = Buffer.from(text, 'latin1');
  const cents = parseCents(bytes, 0, bytes.length);
  return cents === NOT_AN_AMOUNT ? null : cents;
}
