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

  // The shape is right; the day must exist in its month, by the Gregorian calendar carried
  // back before 1582 as JavaScript dates are. Remittances carry one per claim and line, so
  // this reads the digits in place rather than building strings or dates.
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number);
}

/** The number the `count` ASCII digits of `text` from `start` write. */
function digitsAt(text: string, start: number, count: number): number {
  let number = 0;
  for (let index = start; index < start + count; index += 1) {
    number = number * 10 + (text.charCodeAt(index) - 48);
  }
  return number;
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

/**
 * The zone's canonical IANA name (`america/new_york` and `US/Eastern` are `America/New_York`),
 * so that one zone is always stored and compared under one name.
 */
export function canonicalTimeZone(timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone }).format(0);
    return true;
  } catch {
    return false;
  }
}
