/** Currencies whose amounts have no minor unit (Stripe's list of zero-decimal currencies). */
const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);

/** Smallest chargeable amount per currency, in minor units; 50 where not listed. */
const MINIMUM_CHARGE: Readonly<Record<string, number>> = {
  usd: 50,
  eur: 50,
  cad: 50,
  aud: 50,
  gbp: 30,
  jpy: 50,
};

export function minimumChargeAmount(currency: string): number {
  return MINIMUM_CHARGE[currency] ?? 50;
}

/** `$12.34` or `12.34 EUR`: minor units as a person reads them, without floating point. */
export function formatAmount(amount: number, currency: string): string {
  const sign = amount < 0 ? '-' : '';
  const magnitude = Math.abs(amount);
  const digits = ZERO_DECIMAL.has(currency)
    ? String(magnitude)
    : `${Math.trunc(magnitude / 100)}.${String(magnitude % 100).padStart(2, '0')}`;

  if (currency === 'usd') {
    return `${sign}$${digits}`;
  }
  return `${sign}${digits} ${currency.toUpperCase()}`;
}

/**
 * `amount * numerator / denominator`, rounded half up, in integers: the share of a transfer
 * a partial refund reverses.
 */
export function proportionalShare(amount: number, numerator: number, denominator: number): number {
  if (denominator === 0) {
    return 0;
  }
  const scaled = BigInt(amount) * BigInt(numerator) * 2n + BigInt(denominator);
  return Number(scaled / (2n * BigInt(denominator)));
}
