import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  checkChargeable,
  formatMoney,
  money,
  parseMoney,
  sum,
  toDecimalString,
} from '../src/index';

describe('parseMoney', () => {
  describe('exact decimal strings become minor units', () => {
    test.each([
      ['20', 2000],
      ['20.1', 2010],
      ['20.10', 2010],
      ['.5', 50],
      ['20.', 2000],
      ['0', 0],
      ['-12.34', -1234],
      ['+7', 700],
      [' 7.25 ', 725],
      ['1.500', 150],
      ['000123.45', 12345],
      // Field case BR-12: amounts that float arithmetic gets wrong.
      ['4.35', 435],
      ['19.99', 1999],
      ['5.10', 510],
      ['0.07', 7],
      ['1.13', 113],
    ])('"%s" is %i cents', (text, minor) => {
      expect(parseMoney(text)._unsafeUnwrap().minor).toBe(minor);
    });

    test('"-0" is zero, never a negative zero', () => {
      const parsed = parseMoney('-0')._unsafeUnwrap();

      expect(Object.is(parsed.minor, 0)).toBe(true);
    });
  });

  describe('refusals name what is wrong', () => {
    test.each([
      ['0.005', 'MONEY.TOO_PRECISE'],
      ['1.005', 'MONEY.TOO_PRECISE'],
      ['1e2', 'MONEY.INVALID_FORMAT'],
      ['', 'MONEY.INVALID_FORMAT'],
      ['.', 'MONEY.INVALID_FORMAT'],
      ['-', 'MONEY.INVALID_FORMAT'],
      ['1,000.00', 'MONEY.INVALID_FORMAT'],
      ['$20', 'MONEY.INVALID_FORMAT'],
      ['twenty', 'MONEY.INVALID_FORMAT'],
      ['1.2.3', 'MONEY.INVALID_FORMAT'],
      ['90071992547409.93', 'MONEY.OUT_OF_RANGE'],
    ])('"%s" is refused with %s', (text, code) => {
      const error = parseMoney(text)._unsafeUnwrapErr();

      expect(error.code).toBe(code);
      expect(error.details.input).toBe(text);
    });
  });

  test('currencies with other exponents', () => {
    expect(parseMoney('20', 'jpy')._unsafeUnwrap().minor).toBe(20);
    expect(parseMoney('20.5', 'jpy')._unsafeUnwrapErr().code).toBe('MONEY.TOO_PRECISE');
    expect(parseMoney('1.005', 'kwd')._unsafeUnwrap().minor).toBe(1005);
  });

  test('round-trips every safe amount through its decimal string', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 50), max: 2 ** 50 }), (minor) => {
        const text = toDecimalString(money(minor));

        expect(parseMoney(text)._unsafeUnwrap().minor).toBe(minor);
      }),
    );
  });
});

describe('formatting and limits', () => {
  test.each([
    [2010, '$20.10'],
    [5, '$0.05'],
    [-2010, '-$20.10'],
    [123456789, '$1,234,567.89'],
  ])('%i cents reads %s', (minor, text) => {
    expect(formatMoney(money(minor))).toBe(text);
  });

  test('decimal strings are exact', () => {
    expect(toDecimalString(money(5))).toBe('0.05');
    expect(toDecimalString(money(-510))).toBe('-5.10');
    expect(toDecimalString(money(20, 'jpy'))).toBe('20');
  });

  test('Stripe charges at least 50 cents and at most eight digits', () => {
    expect(checkChargeable(money(49))._unsafeUnwrapErr().code).toBe('MONEY.BELOW_MINIMUM_CHARGE');
    expect(checkChargeable(money(50)).isOk()).toBe(true);
    expect(checkChargeable(money(99_999_999)).isOk()).toBe(true);
    expect(checkChargeable(money(100_000_000))._unsafeUnwrapErr().code).toBe(
      'MONEY.ABOVE_MAXIMUM_CHARGE',
    );
  });

  test('money never mixes currencies and refuses floats', () => {
    expect(sum([money(1), money(2), money(3)]).minor).toBe(6);
    expect(() => sum([money(1, 'usd'), money(1, 'eur')])).toThrow(RangeError);
    expect(() => money(4.35 * 100)).toThrow(RangeError);
  });
});
