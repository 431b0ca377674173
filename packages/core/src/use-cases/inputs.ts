import { err, ok, type Result } from 'neverthrow';
import { z } from 'zod';
import { DomainError } from '../domain/errors';
import { isLocalDate } from '../domain/local-date';
import { type Currency, isCurrency, type Money, money, parseMoney } from '../domain/money';

/**
 * An amount as hosts hand it in: a decimal string typed by staff (`"20.10"`), or money already in
 * minor units. Plain numbers are refused: `20.1` as a float is exactly the mistake this SDK
 * exists to avoid.
 */
export type MoneyInput = string | { readonly minor: number; readonly currency?: string };

export const moneyInputSchema = z.union([
  z.string().max(32),
  z.object({
    minor: z.number().int().refine(Number.isSafeInteger),
    currency: z.string().optional(),
  }),
]);

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
  if (!isCurrency(given) || given !== currency) {
    return err(
      new DomainError(
        'REQUEST.CURRENCY_MISMATCH',
        `${field}: the amount is in ${given.toUpperCase()} but the organization bills in ` +
          currency.toUpperCase(),
        { field, currency: given },
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

export const actorIdSchema = z.string().trim().min(1).max(200);
