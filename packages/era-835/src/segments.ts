/** Packs a two- or three-character segment identifier (or code) the way the scanner does. */
export function segmentId(name: string): number {
  let packed = 0;
  for (let i = 0; i < name.length; i++) packed = (packed << 8) | name.charCodeAt(i);
  return packed;
}

export const ISA = segmentId('ISA');
export const REF = segmentId('REF');
export const DTM = segmentId('DTM');
export const AMT = segmentId('AMT');
export const N1 = segmentId('N1');
export const N3 = segmentId('N3');
export const N4 = segmentId('N4');
export const PER = segmentId('PER');
export const CLP = segmentId('CLP');
export const CAS = segmentId('CAS');
export const NM1 = segmentId('NM1');
export const SVC = segmentId('SVC');
export const LQ = segmentId('LQ');

/**
 * Where in the 835 structure the reader is. An enum rather than an object of constants: a
 * bundler then writes each value in place, so the hot paths never look it up.
 */
export enum Loop {
  Outside = 0,
  Interchange = 1,
  Group = 2,
  /** After ST, before the first LX or CLP: payment, trace, payer and payee. */
  Header = 3,
  /** After LX, before its first CLP. */
  Detail = 4,
  Claim = 5,
  Line = 6,
  /** A claim that cannot be read; its segments are passed over up to the next claim. */
  SkippedClaim = 7,
  /** After PLB. */
  Summary = 8,
  /** A transaction set other than 835, passed over up to its SE. */
  SkippedTransaction = 9,
}
