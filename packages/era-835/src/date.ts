export const NOT_A_DATE = -1;

const DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether bytes [start, end) are a real CCYYMMDD date. */
export function isDate(buf: Uint8Array, start: number, end: number): boolean {
  return dateValue(buf, start, end) !== NOT_A_DATE;
}

/** The real CCYYMMDD date in bytes [start, end) as the number CCYYMMDD, else NOT_A_DATE. */
export function dateValue(buf: Uint8Array, start: number, end: number): number {
  if (end - start !== 8) return NOT_A_DATE;
  for (let i = start; i < end; i++) {
    const c = buf[i] as number;
    if (c < 0x30 || c > 0x39) return NOT_A_DATE;
  }
  const year = digitPair(buf, start) * 100 + digitPair(buf, start + 2);
  const month = digitPair(buf, start + 4);
  const day = digitPair(buf, start + 6);
  return isRealDate(year, month, day) ? year * 10_000 + month * 100 + day : NOT_A_DATE;
}

/**
 * The real CCYYMMDD date in the eight bytes at `at` in `view` as the number CCYYMMDD, else
 * NOT_A_DATE; read as two words, each holding four ASCII digits when every byte's high half
 * is 3 and stays 3 once 6 is added to it.
 */
export function dateValueAt(view: DataView, at: number): number {
  const high = view.getInt32(at);
  const low = view.getInt32(at + 4);
  if (!isFourDigits(high) || !isFourDigits(low)) return NOT_A_DATE;
  const year =
    ((high >>> 24) & 0xf) * 1000 + ((high >>> 16) & 0xf) * 100 + ((high >>> 8) & 0xf) * 10;
  const month = ((low >>> 24) & 0xf) * 10 + ((low >>> 16) & 0xf);
  const day = ((low >>> 8) & 0xf) * 10 + (low & 0xf);
  return isRealDate(year + (high & 0xf), month, day)
    ? (year + (high & 0xf)) * 10_000 + month * 100 + day
    : NOT_A_DATE;
}

/** Whether the eight bytes at `at` in `view` hold eight ASCII digits. */
export function isEightDigitsAt(view: DataView, at: number): boolean {
  return isFourDigits(view.getInt32(at)) && isFourDigits(view.getInt32(at + 4));
}

function isFourDigits(word: number): boolean {
  return (word & 0xf0f0f0f0) === 0x30303030 && ((word + 0x06060606) & 0xf0f0f0f0) === 0x30303030;
}

function isRealDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  if (day <= 28) return true;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && !leap ? 28 : (DAYS_IN_MONTH[month] as number));
}

/** The two-digit number at `at`, already known to be digits. */
function digitPair(buf: Uint8Array, at: number): number {
  return ((buf[at] as number) - 0x30) * 10 + (buf[at + 1] as number) - 0x30;
}
