import { err, ok, type Result } from 'neverthrow';
import { z } from 'zod';
import { DomainError } from '../domain/errors';
import { isLocalDate } from '../domain/local-date';
import {
  CURRENCIES,
  type Currency,
  isCurrency,
  type Money,
  money,
  parseMoney,
} from '../domain/money';

/**
 * An amount as hosts hand it in: a decimal string typed by staff (`"20.10"`), or money already in
 * minor units. Plain numbers are refused: `20.1` as a float is exactly the mistake this SDK
 * exists to avoid.
 */
export type MoneyInput = string | { readonly minor: number; readonly currency?: string };

const MONEY_SHAPE = 'must be a decimal string such as "20.10" or { minor: integer, currency }';
const MONEY_TEXT_MAX = 32;
const KNOWN_CURRENCIES = Object.keys(CURRENCIES)
  .map((code) => code.toUpperCase())
  .join(', ');

/** What is wrong with a would-be `MoneyInput`, as one sentence; null when nothing is. */
function moneyInputProblem(value: unknown): { message: string; path?: string[] } | null {
  if (typeof value === 'string') {
    return value.length <= MONEY_TEXT_MAX
      ? null
      : { message: `${MONEY_SHAPE}; this text is longer than ${MONEY_TEXT_MAX} characters` };
  }

  if (typeof value === 'number') {
    return { message: `${MONEY_SHAPE}; numbers are refused, since a float may not be exact` };
  }

  if (value === undefined) {
    return { message: `is required and ${MONEY_SHAPE}` };
  }

  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { message: MONEY_SHAPE };
  }

  const { minor, currency } = value as { minor?: unknown; currency?: unknown };
  if (typeof minor !== 'number' || !Number.isSafeInteger(minor)) {
    return { message: `${MONEY_SHAPE}; minor must be a safe integer count of minor units` };
  }

  if (
    currency !== undefined &&
    !(typeof currency === 'string' && isCurrency(currency.toLowerCase()))
  ) {
    return { message: `must be one of ${KNOWN_CURRENCIES}`, path: ['currency'] };
  }

  return null;
}

/** Refuses anything but a `MoneyInput`, in one message that says what is accepted. */
export const moneyInputSchema = z.custom<MoneyInput>().superRefine((value, context) => {
  const problem = moneyInputProblem(value);
  if (problem) {
    context.addIssue({ code: 'custom', message: problem.message, path: problem.path ?? [] });
  }
});

/** Turns a `MoneyInput` into Money of the expected currency; `field` names it in errors. */
export function toMoney(
  input: MoneyInput,
  currency: Currency,
  field: string,
): Result<Money, DomainError> {
  if (typeof input === 'string') {
    return parseMoney(input, currency).mapErr(
      (error) =>
        new DomainError(error.code, `${field}: ${error.message}`, { ...error.details, field }),
    );
  }

  const given = (input.currency ?? currency).toLowerCase();
  if (!isCurrency(given)) {
    return err(
      new DomainError(
        'INPUT.INVALID',
        `${field}: currency must be one of ${KNOWN_CURRENCIES}, not "${input.currency}"`,
        { field: `${field}.currency` },
      ),
    );
  }

  if (given !== currency) {
    return err(
      new DomainError(
        'REQUEST.CURRENCY_MISMATCH',
        `${field}: the amount is in ${given.toUpperCase()}, but it must be in ` +
          `${currency.toUpperCase()}, the currency the organization bills in`,
        { field, currency: given, expected: currency },
      ),
    );
  }

  return ok(money(input.minor, currency));
}

export const localDateSchema = z
  .string()
  .refine(isLocalDate, { message: 'must be a calendar date written YYYY-MM-DD' });

/** E.164: a plus sign, a country code, up to fifteen digits in all. */
export const phoneSchema = z
  .string()
  .regex(/^\+[1-9]\d{6,14}$/, { message: 'must be an E.164 number such as +15555550100' });

export const emailSchema = z.email({ message: 'must be an email address' }).max(254);

/** The id of the staff member who acts, as the host knows them; it goes into the audit trail. */
export const actorIdSchema = z
  .string({ error: 'must be the id of the staff member who acts' })
  .trim()
  .min(1, { error: 'must not be empty: the audit trail records who acted' })
  .max(200, { error: 'must be at most 200 characters' });
