import { describe, expect, test } from 'vitest';
import { type Diagnostic, parse835, summarize835 } from '../src/index';
import { claimsOf, diagnosticsOf, fieldCase, parsedByHandlers, text } from './support';

/**
 * The reader takes the usual shape of the segments that make up nearly all of a remittance
 * straight from the bytes, and leaves every other shape to its handlers. Each case below puts
 * one segment among ordinary claims (the fast lane only reads ahead when enough of the input
 * follows) and holds counting to exactly what the typed parse finds, and the typed parse to
 * exactly what the handlers alone build.
 */

const T1 = text(fieldCase('T-1'));
const HEADER = T1.slice(0, T1.indexOf('CLP*'));

function ordinaryClaim(n: number): string {
  return (
    `CLP*PCN-${n}*1*200*80*49.6*12*CLM${n}~NM1*QC*1*DOE*JANE****MI*MEM${n}~` +
    'NM1*82*1*ROE*RAY****XX*1999999984~DTM*232*20240101~DTM*233*20240103~' +
    'SVC*HC:99213:25*150*60**1~DTM*472*20240102~CAS*CO*45*50~CAS*PR*1*30**2*10~REF*6R*L1~' +
    'AMT*B6*100~LQ*HE*M1~SVC*HC:80053*50*20**1~DTM*472*20240102~CAS*CO*45*20**253*0.4~' +
    'CAS*PR*3*9.6~AMT*B6*29.6~'
  );
}

/** An 835 of ordinary claims with `segments` at the start of the third claim's first line. */
function withSegments(segments: string): string {
  const claims = Array.from({ length: 6 }, (_, k) => ordinaryClaim(k + 1));
  claims[2] = (claims[2] as string).replace('SVC*HC:99213:25', `${segments}SVC*HC:99213:25`);
  const body = `${HEADER}${claims.join('')}`.replace('BPR*I*80*', 'BPR*I*480*');
  const segmentCount = body.slice(body.indexOf('ST*')).split('~').length;
  return `${body}SE*${segmentCount}*0001~GE*1*101~IEA*1*000000101~`;
}

function inOrder(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) => a.segment - b.segment || a.message.localeCompare(b.message),
  );
}

async function expectCountingToMatch(input: string): Promise<void> {
  const document = parse835(input);
  const found: Diagnostic[] = [];
  const stats = await summarize835(input, { onDiagnostic: (d) => found.push(d) });
  const claims = claimsOf(document);

  expect(document).toEqual(parsedByHandlers(input));
  expect(inOrder(found)).toEqual(inOrder(diagnosticsOf(document)));
  expect(stats.claims).toBe(claims.length);
  expect(stats.serviceLines).toBe(claims.reduce((n, c) => n + c.serviceLines.length, 0));
  expect(stats.paidCents).toBe(claims.reduce((n, c) => n + c.paidCents, 0));
  expect(stats.patientResponsibilityCents).toBe(
    claims.reduce((n, c) => n + c.patientResponsibility.adjustmentCents, 0),
  );
}

describe('counting agrees with the typed parse on every shape of the usual segments', () => {
  test('ordinary claims are counted without a problem', async () => {
    const input = withSegments('');

    await expectCountingToMatch(input);
    expect(diagnosticsOf(parse835(input))).toEqual([]);
  });

  test.each([
    ['a quantity', 'CAS*CO*45*70*1~'],
    ['an empty quantity', 'CAS*CO*45*70*~'],
    ['an empty fourth triplet', 'CAS*CO*45*70**~'],
    ['three triplets', 'CAS*CO*45*35**45*35**45*0~'],
    ['an unknown group', 'CAS*XX*45*70~'],
    ['no reason', 'CAS*CO**70~'],
    ['no amount', 'CAS*CO*45~'],
    ['three decimals', 'CAS*CO*45*70.005~'],
    ['trailing zeros', 'CAS*CO*45*70.500~'],
    ['an exponent', 'CAS*CO*45*7E1~'],
    ['minus zero', 'CAS*CO*45*-0~'],
    ['no whole part', 'CAS*CO*45*.5~'],
    ['a bare point', 'CAS*CO*45*70.~'],
    ['thirteen digits', 'CAS*CO*45*1234567890123~'],
    ['fourteen digits', 'CAS*CO*45*12345678901234~'],
    ['a negative coinsurance', 'CAS*PR*2*-30~'],
    ['a reason of three characters', 'CAS*PR*142*5~'],
  ])('CAS with %s', async (_name, segment) => {
    await expectCountingToMatch(withSegments(segment));
  });

  test.each([
    ['an element after the amount', 'AMT*B6*130*X~'],
    ['no amount', 'AMT*B6~'],
    ['an empty amount', 'AMT*B6*~'],
    ['three decimals', 'AMT*B6*1.234~'],
    ['no qualifier', 'AMT**130~'],
  ])('AMT with %s', async (_name, segment) => {
    await expectCountingToMatch(withSegments(segment));
  });

  test.each([
    ['no component separator', 'SVC*HC99213*200*80**1~'],
    ['another component separator', 'SVC*HC>99213*200*80**1~'],
    ['no procedure', 'SVC**200*80~'],
    ['no charge', 'SVC*HC:99213**80~'],
    ['the payment last', 'SVC*HC:99213*200*80~'],
    ['no payment', 'SVC*HC:99213*200~'],
  ])('SVC with %s', async (_name, segment) => {
    await expectCountingToMatch(withSegments(segment));
  });

  test.each([
    ['no CLP05', 'CLP*PCN-X*1*200*80~'],
    ['an empty CLP05', 'CLP*PCN-X*1*200*80**12~'],
    ['a CLP05 that is not an amount', 'CLP*PCN-X*1*200*80*X~'],
    ['no CLP01', 'CLP**1*200*80*50~'],
    ['no CLP02', 'CLP*PCN-X**200*80*50~'],
    ['no CLP04', 'CLP*PCN-X*1*200~'],
  ])('CLP with %s', async (_name, segment) => {
    await expectCountingToMatch(withSegments(segment));
  });

  test.each([
    ['a day February does not have', 'DTM*472*20240230~'],
    ['a leap day', 'DTM*472*20240229~'],
    ['a leap day in a common year', 'DTM*472*20230229~'],
    ['seven digits', 'DTM*472*2024010~'],
    ['a two-character qualifier', 'DTM*47*20240102~'],
    ['an element after the date', 'DTM*472*20240102*X~'],
    ['a letter among the digits', 'DTM*472*2024O102~'],
  ])('DTM with %s', async (_name, segment) => {
    await expectCountingToMatch(withSegments(segment));
  });

  test.each([
    ['LQ before any line', 'LQ*HE*M1~'],
    ['PLB inside a claim', 'PLB*1999999984*20241231*WO*10~'],
    ['an unknown segment', 'XYZ*1~'],
  ])('%s', async (_name, segment) => {
    await expectCountingToMatch(withSegments(segment));
  });

  test('a line feed terminator with carriage returns before it', async () => {
    const input = withSegments('').replace(':~', ':\n').replace(/~/g, '\r\n');

    await expectCountingToMatch(input);
  });
});
