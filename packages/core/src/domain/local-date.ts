import { TZDate } from '@date-fns/tz';
import { addDays, format, parseISO } from 'date-fns';

declare const localDateBrand: unique symbol;

/**
 * A calendar date with no time and no zone, written `YYYY-MM-DD` (a date of service, a due
 * date).
 */
export type LocalDate = string & { readonly [localDateBrand]: true };

const SHAPE = /^\d{4}-\d{2}-\d{2}$/;

export function isLocalDate(value: string): value is LocalDate {
  if (!SHAPE.test(value)) {
    return false;
  }

  // The shape is right; the day must exist in its month. A day past the month's end rolls
  // over into the next month, so a date that reads back unchanged is real. Remittances
  // carry one per claim and line, so this stays off date-fns' slower general parsing.
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(5, 7));
  const day = Number(value.slice(8, 10));
  const instant = new Date(0);
  instant.setUTCFullYear(year, month - 1, day);
  return (
    instant.getUTCFullYear() === year &&
    instant.getUTCMonth() === month - 1 &&
    instant.getUTCDate() === day
  );
}

export function asLocalDate(value: string): LocalDate {
  if (!isLocalDate(value)) {
    throw new RangeError(`"${value}" is not a calendar date (YYYY-MM-DD)`);
  }

  return value;
}

/** The calendar date it is in `timeZone` at the instant `at`. */
export function localDateAt(at: Date, timeZone: string): LocalDate {
  return format(new TZDate(at.getTime(), timeZone), 'yyyy-MM-dd') as LocalDate;
}

export function addLocalDays(date: LocalDate, days: number): LocalDate {
  return format(addDays(parseISO(date), days), 'yyyy-MM-dd') as LocalDate;
}

/** Minutes past local midnight at the instant `at` in `timeZone`. */
export function localMinuteOfDay(at: Date, timeZone: string): number {
  const local = new TZDate(at.getTime(), timeZone);
  return local.getHours() * 60 + local.getMinutes();
}

/**
 * The instant at which the wall clock in `timeZone` reads `hour:minute` on `date`. A time
 * skipped by a daylight-saving jump moves forward by the length of the jump (02:30 becomes
 * 03:30); a time that happens twice resolves to its first occurrence.
 */
export function zonedInstant(
  date: LocalDate,
  hour: number,
  minute: number,
  timeZone: string,
): Date {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return new Date(new TZDate(year, month - 1, day, hour, minute, timeZone).getTime());
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone }).format(0);
    return true;
  } catch {
    return false;
  }
}
