import { err, ok, type Result } from 'neverthrow';
import { DomainError } from './errors';

/**
 * Currencies the SDK bills in, with what Stripe needs to know of each: how many minor units
 * make a major one, the smallest amount Stripe will charge, and the largest amount it accepts
 * (eight digits of minor units for every currency listed here).
 */
export const CURRENCIES = {
  usd: { exponent: 2, minimumCharge: 50, maximumAmount: 99_999_999 },
  cad: { exponent: 2, minimumCharge: 50, maximumAmount: 99_999_999 },
  eur: { exponent: 2, minimumCharge: 50, maximumAmount: 99_999_999 },
  gbp: { exponent: 2, minimumCharge: 30, maximumAmount: 99_999_999 },
  aud: { exponent: 2, minimumCharge: 50, maximumAmount: 99_999_999 },
  jpy: { exponent: 0, minimumCharge: 50, maximumAmount: 99_999_999 },
  kwd: { exponent: 3, minimumCharge: 100, maximumAmount: 99_999_999 },
} as const satisfies Record<
  string,
  { exponent: number; minimumCharge: number; maximumAmount: number }
>;

export type Currency = keyof typeof CURRENCIES;

declare const moneyBrand: unique symbol;

/**
 * An amount of money in integer minor units (cents for USD) with its currency. Never a float:
 * values are built by `money()` or `parseMoney()`, which refuse anything but safe integers.
 */
export interface Money {
  readonly minor: number;
  readonly currency: Currency;
  readonly [moneyBrand]: true;
}

export function isCurrency(value: string): value is Currency {
  return Object.hasOwn(CURRENCIES, value);
}

/** Builds a Money value; throws on a non-integer, which is a programming error, not input. */
export function money(minor: number, currency: Currency = 'usd'): Money {
  if (!Number.isSafeInteger(minor)) {
    throw new RangeError(`Money needs a safe integer of minor units, got ${minor}`);
  }

  // Normalise -0 so that equality and formatting never see a negative zero.
  return { minor: minor === 0 ? 0 : minor, currency } as Money;
}

export function zero(currency: Currency = 'usd'): Money {
  return money(0, currency);
}

const DECIMAL = /^([+-])?(\d*)(?:\.(\d*))?$/;

/**
 * Parses a decimal string such as `20`, `20.1`, `.5`, `20.` or `-0` into exact minor units,
 * with string arithmetic only. More fractional digits than the currency has are refused
 * (`0.005` is an error, not a rounding) unless the extra digits are zeros.
 */
export function parseMoney(text: string, currency: Currency = 'usd'): Result<Money, DomainError> {
  const input = text.trim();
  const match = DECIMAL.exec(input);
  const whole = match?.[2] ?? '';
  const fraction = match?.[3] ?? '';
  if (!match || (whole === '' && fraction === '')) {
    return err(
      new DomainError(
        'MONEY.INVALID_FORMAT',
        `"${text}" is not an amount: write digits with an optional decimal point, like 20 or 20.50`,
        { input: text },
      ),
    );
  }

  const { exponent } = CURRENCIES[currency];
  const significant = fraction.replace(/0+$/, '');
  if (significant.length > exponent) {
    return err(
      new DomainError(
        'MONEY.TOO_PRECISE',
        `"${text}" has more than ${exponent} decimal places for ${currency.toUpperCase()}`,
        { input: text, currency },
      ),
    );
  }

  const digits = `${whole}${significant.padEnd(exponent, '0')}`.replace(/^0+(?=\d)/, '');
  const magnitude = Number(digits === '' ? '0' : digits);
  if (!Number.isSafeInteger(magnitude)) {
    return err(
      new DomainError('MONEY.OUT_OF_RANGE', `"${text}" is too large an amount`, { input: text }),
    );
  }

  return ok(money(match[1] === '-' ? -magnitude : magnitude, currency));
}

/** The amount as a plain decimal string, exact: 2010 USD gives "20.10". */
export function toDecimalString(value: Money): string {
  const { exponent } = CURRENCIES[value.currency];
  const sign = value.minor < 0 ? '-' : '';
  const digits = String(Math.abs(value.minor)).padStart(exponent + 1, '0');
  if (exponent === 0) {
    return `${sign}${digits}`;
  }

  const cut = digits.length - exponent;
  return `${sign}${digits.slice(0, cut)}.${digits.slice(cut)}`;
}

/** Formats for people, for example `$20.10`; the number handed to Intl is an exact string. */
export function formatMoney(value: Money, locale = 'en-US'): string {
  const formatter = new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: value.currency.toUpperCase(),
  });
  return formatter.format(toDecimalString(value) as `${number}`);
}

function sameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) {
    throw new RangeError(`Cannot combine ${a.currency} with ${b.currency}`);
  }
}

export function add(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return money(a.minor + b.minor, a.currency);
}

export function subtract(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return money(a.minor - b.minor, a.currency);
}

export function compare(a: Money, b: Money): -1 | 0 | 1 {
  sameCurrency(a, b);
  return a.minor < b.minor ? -1 : a.minor > b.minor ? 1 : 0;
}

export function isZero(value: Money): boolean {
  return value.minor === 0;
}

export function isPositive(value: Money): boolean {
  return value.minor > 0;
}

export function sum(values: readonly Money[], currency: Currency = 'usd'): Money {
  return values.reduce((total, value) => add(total, value), zero(currency));
}

export function minMoney(a: Money, b: Money): Money {
  return compare(a, b) <= 0 ? a : b;
}

export function maxMoney(a: Money, b: Money): Money {
  return compare(a, b) >= 0 ? a : b;
}

/**
 * Checks an amount against what Stripe will charge in one invoice: at least the currency's
 * minimum charge (Stripe would otherwise mark the invoice paid and move nothing), at most eight
 * digits of minor units.
 */
export function checkChargeable(value: Money): Result<Money, DomainError> {
  const limits = CURRENCIES[value.currency];
  if (value.minor < limits.minimumCharge) {
    return err(
      new DomainError(
        'MONEY.BELOW_MINIMUM_CHARGE',
        `${formatMoney(value)} is below the smallest amount Stripe charges ` +
          `(${formatMoney(money(limits.minimumCharge, value.currency))})`,
        { minor: value.minor, minimum: limits.minimumCharge },
      ),
    );
  }

  if (value.minor > limits.maximumAmount) {
    return err(
      new DomainError(
        'MONEY.ABOVE_MAXIMUM_CHARGE',
        `${formatMoney(value)} is above the largest amount Stripe accepts ` +
          `(${formatMoney(money(limits.maximumAmount, value.currency))})`,
        { minor: value.minor, maximum: limits.maximumAmount },
      ),
    );
  }

  return ok(value);
}
