import { describe, expect, it } from 'vitest';
import { addLocalDays, asLocalDate, isLocalDate } from '../src/domain/local-date';

describe('isLocalDate', () => {
  it.each(['2024-01-31', '2024-02-29', '2000-02-29', '2023-12-31', '0004-02-29', '9999-12-31'])(
    'accepts the real date %s',
    (value) => {
      expect(isLocalDate(value)).toBe(true);
    },
  );

  it.each([
    ['2023-02-29', 'not a leap year'],
    ['1900-02-29', 'a century that is not a leap year'],
    ['2024-04-31', 'April has 30 days'],
    ['2024-13-01', 'no thirteenth month'],
    ['2024-00-10', 'no month zero'],
    ['2024-01-00', 'no day zero'],
    ['2024-1-05', 'month not written with two digits'],
    ['20240105', 'the X12 shape, not ours'],
    ['2024-01-05T00:00', 'a time is not a date'],
    [' 2024-01-05', 'surrounding space'],
  ])('refuses %s (%s)', (value) => {
    expect(isLocalDate(value)).toBe(false);
  });

  it('names the value it refuses', () => {
    expect(() => asLocalDate('2023-02-29')).toThrow('"2023-02-29" is not a calendar date');
  });

  it('adds days across a month end and a leap day', () => {
    expect(addLocalDays(asLocalDate('2024-02-28'), 1)).toBe('2024-02-29');
    expect(addLocalDays(asLocalDate('2024-02-28'), 2)).toBe('2024-03-01');
  });
});
