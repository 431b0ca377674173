import { describe, expect, test } from 'vitest';
import { centsFromText, describeAmountProblem } from '../src/amount';

describe('parseCents', () => {
  describe('X12 decimal forms', () => {
    test.each([
      ['0', 0],
      ['80', 8000],
      ['146.5', 14650],
      ['146.50', 14650],
      ['.5', 50],
      ['20.', 2000],
      ['-13.65', -1365],
      ['-.5', -50],
      ['0.05', 5],
      ['1.05', 105],
      ['000000000', 0],
      ['00000000000000000000001', 100],
      ['1.500', 150],
      ['1000000001.000', 100_000_000_100],
      ['9999999999999.99', 999_999_999_999_999],
    ])('reads %s as %i cents', (text, cents) => {
      expect(centsFromText(text)).toBe(cents);
    });

    test.each([
      ['1E2', 10_000],
      ['1e2', 10_000],
      ['1.2345E2', 12_345],
      ['2.5E-1', 25],
      ['1E-2', 1],
      ['0E5', 0],
    ])('reads the exponent form %s as %i cents', (text, cents) => {
      expect(centsFromText(text)).toBe(cents);
    });

    test('reads -0 as zero, never as negative zero', () => {
      expect(Object.is(centsFromText('-0'), 0)).toBe(true);
      expect(Object.is(centsFromText('-0.00'), 0)).toBe(true);
    });
  });

  describe('refusals', () => {
    test.each([
      ['1.005', 'has more than two decimal places'],
      ['0.001', 'has more than two decimal places'],
      ['1E-3', 'has more than two decimal places'],
      ['99999999999999.99', 'is too large'],
      ['1E1234', 'is not a decimal number'],
      ['1E20', 'is too large'],
      ['', 'is not a decimal number'],
      ['.', 'is not a decimal number'],
      ['-', 'is not a decimal number'],
      ['+5', 'is not a decimal number'],
      ['1.2.3', 'is not a decimal number'],
      ['12a', 'is not a decimal number'],
      ['1E', 'is not a decimal number'],
      ['1 000', 'is not a decimal number'],
      ['amount', 'is not a decimal number'],
    ])('refuses %j because it %s', (text, problem) => {
      expect(centsFromText(text)).toBeNull();
      expect(describeAmountProblem(text)).toBe(problem);
    });
  });
});
