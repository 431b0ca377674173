const DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether bytes [start, end) are a real CCYYMMDD date. */
export function isDate(buf: Uint8Array, start: number, end: number): boolean {
  if (end - start !== 8) return false;
  for (let i = start; i < end; i++) {
    const c = buf[i] as number;
    if (c < 0x30 || c > 0x39) return false;
  }
  const digit = (i: number): number => (buf[start + i] as number) - 0x30;
  const year = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
  const month = digit(4) * 10 + digit(5);
  const day = digit(6) * 10 + digit(7);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && !leap ? 28 : (DAYS_IN_MONTH[month] as number));
}
