import { describe, expect, test } from 'vitest';
import { Era835Parser, parse835, stream835 } from '../src/index';
import { claim, claimsOf, codesOf, diagnosticsOf, fieldCase, text } from './support';

const T1 = text(fieldCase('T-1'));
const CLAIM_LOOP = T1.slice(T1.indexOf('CLP*'), T1.indexOf('SE*'));

/** T-1 with its claim loop replaced and SE01 adjusted by `extraSegments`. */
function withClaimLoop(loop: string, extraSegments = 0): string {
  return T1.replace(CLAIM_LOOP, loop).replace('SE*17*0001~', `SE*${17 + extraSegments}*0001~`);
}

describe('input that is not an 835', () => {
  test.each([
    ['plain text', 'hello, this is not EDI'],
    ['an empty input', ''],
    ['blank lines only', '\n\r\n   \n'],
  ])('%s is reported as NOT_X12 and yields nothing', (_name, input) => {
    const document = parse835(input);

    expect(document.transactions).toEqual([]);
    expect(codesOf(document)).toEqual(['NOT_X12']);
  });

  test('another transaction set is skipped and named, the 835 beside it is read', () => {
    const claim837 = 'ST*837*0002~BHT*0019*00*1*20240105*0930*CH~SE*3*0002~';
    const input = T1.replace('GE*1*101~', `${claim837}GE*2*101~`);
    const document = parse835(input);

    expect(claimsOf(document).map((c) => c.patientControlNumber)).toEqual(['PCN-1001']);
    expect(document.diagnostics.map((d) => [d.code, d.found, d.segmentId])).toEqual([
      ['NOT_AN_835', '837', 'ST'],
    ]);
  });

  test('junk before the ISA is reported once and the interchange is read', () => {
    const document = parse835(`From: clearinghouse\r\n${T1}`);

    expect(codesOf(document)).toEqual(['NOT_X12']);
    expect(claimsOf(document)).toHaveLength(1);
  });

  test('a byte-order mark before the ISA is passed over silently', () => {
    const document = parse835(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), fieldCase('T-1')]));

    expect(diagnosticsOf(document)).toEqual([]);
    expect(claimsOf(document)).toHaveLength(1);
  });
});

describe('envelopes', () => {
  test('an ISA whose delimiters cannot be read is skipped up to the next ISA', () => {
    const broken = 'ISA*00*          *00*          *ZZ*PAYERTEST01~GS*HP~';
    const document = parse835(`${broken}${T1}`);

    expect(codesOf(document)).toEqual(['BROKEN_ISA']);
    expect(claimsOf(document)).toHaveLength(1);
  });

  test('interchanges with different delimiters follow each other in one file', () => {
    const document = parse835(`${T1}\n${text(fieldCase('BR-02'))}`);

    expect(document.transactions.map((t) => t.interchange?.delimiters.element)).toEqual(['*', '|']);
    expect(claimsOf(document).map((c) => c.patientResponsibility.adjustmentCents)).toEqual([
      5_000, 5_000,
    ]);
    expect(diagnosticsOf(document)).toEqual([]);
  });

  test('a 4010 interchange has no repetition separator; ISA11 is a standards code there', () => {
    const input = T1.replace('*^*00501*', '*U*00401*');

    expect(parse835(input).transactions[0]?.interchange?.delimiters.repetition).toBeNull();
  });

  test('an ISA that is not 106 characters wide is still read', () => {
    const input = T1.replace(
      '*          *00*          *ZZ*PAYERTEST01    *ZZ*CLINICTEST01   *',
      '* *00* *ZZ*PAYERTEST01 *ZZ*CLINICTEST01*',
    );
    const document = parse835(input);

    expect(document.transactions[0]?.interchange?.senderId).toBe('PAYERTEST01');
    expect(diagnosticsOf(document)).toEqual([]);
  });

  test('missing trailers are errors at the end; the transaction set is still read', () => {
    const document = parse835(T1.slice(0, T1.indexOf('SE*')));
    const [transaction] = document.transactions;

    expect(claimsOf(document)).toHaveLength(1);
    expect(transaction?.diagnostics.map((d) => [d.code, d.expected, d.segmentId])).toEqual([
      ['MISSING_SEGMENT', 'SE', null],
    ]);
    expect(document.diagnostics.map((d) => [d.code, d.expected])).toEqual([
      ['MISSING_SEGMENT', 'GE'],
      ['MISSING_SEGMENT', 'IEA'],
    ]);
  });

  test('an ST without the SE of the previous set closes it with an error', () => {
    const input = text(fieldCase('BR-05a')).replace('SE*17*0001~', '');
    const document = parse835(input);

    expect(document.transactions).toHaveLength(2);
    expect(document.transactions[0]?.diagnostics.map((d) => [d.code, d.segmentId])).toEqual([
      ['MISSING_SEGMENT', 'ST'],
    ]);
    expect(document.transactions[1]?.diagnostics).toEqual([]);
  });

  test('segments between interchanges are reported once per run', () => {
    const document = parse835(`${T1}N1*PR*STRAY~N3*STRAY~${T1}`);

    expect(document.diagnostics.map((d) => [d.code, d.found, d.expected])).toEqual([
      ['UNEXPECTED_SEGMENT', 'N1', 'ISA'],
    ]);
    expect(claimsOf(document)).toHaveLength(2);
  });

  test('a file without ISA or GS takes delimiters from ST and the component one from SVC01', () => {
    const body = T1.slice(T1.indexOf('ST*'), T1.indexOf('GE*'))
      .replaceAll('~', '\r\n')
      .replace('HC:99213', 'HC>99213');
    const document = parse835(body);

    expect(document.transactions[0]?.interchange).toBeNull();
    expect(claim(document, 'PCN-1001').serviceLines[0]?.procedure).toMatchObject({
      qualifier: 'HC',
      code: '99213',
    });
    expect(diagnosticsOf(document)).toEqual([]);
  });

  test.each([
    [':99213', 'SVC01-1', { qualifier: null, code: '99213' }],
    ['HC :99213', null, { qualifier: 'HC', code: '99213' }],
    [':', 'SVC01-1 SVC01-2', { qualifier: null, code: null }],
  ])('without ISA, SVC01 %s splits on its first punctuation', (svc01, missing, procedure) => {
    const body = T1.slice(T1.indexOf('ST*'), T1.indexOf('GE*')).replace('HC:99213', svc01);
    const document = parse835(body);

    expect(
      diagnosticsOf(document)
        .map((d) => d.element)
        .join(' ') || null,
    ).toBe(missing);
    expect(claim(document, 'PCN-1001').serviceLines[0]?.procedure).toMatchObject(procedure);
  });

  test.each([
    ['LF', '\n'],
    ['CR LF', '\r\n'],
  ])('a set without envelope ending lines in %s keeps them though a file follows', (_, eol) => {
    const body = T1.slice(T1.indexOf('ST*'), T1.indexOf('GE*')).replaceAll('~', eol);
    const document = parse835(`${body}${T1}`);

    expect(document.transactions.map((t) => t.interchange?.controlNumber ?? null)).toEqual([
      null,
      '000000101',
    ]);
    expect(claimsOf(document).map((c) => [c.patientControlNumber, c.paidCents])).toEqual([
      ['PCN-1001', 8_000],
      ['PCN-1001', 8_000],
    ]);
    expect(diagnosticsOf(document)).toEqual([]);
  });
});

describe('the payment (BPR)', () => {
  const BPR = 'BPR*I*80*C*ACH*';

  test.each([
    [
      'left out',
      'BPR*I*80**ACH*',
      'MISSING_ELEMENT',
      'BPR03 (the credit or debit flag) is missing',
    ],
    ['not C or D', 'BPR*I*80*X*ACH*', 'INVALID_VALUE', 'BPR03 "X" is not a credit or debit flag'],
  ])('a BPR03 %s is reported and the payment is not balanced', (_, segment, code, text) => {
    // The claim no longer balances: that is still found, the payment's balance is not.
    const paidLess = T1.replace('CLP*PCN-1001*1*200*80', 'CLP*PCN-1001*1*200*70');
    const document = parse835(paidLess.replace(BPR, segment));

    expect(diagnosticsOf(document).map((d) => [d.code, d.element])).toEqual([
      [code, 'BPR03'],
      ['CLAIM_UNBALANCED', 'CLP04'],
    ]);
    expect(diagnosticsOf(document)[0]?.message).toContain(text);
  });

  test('a debit is balanced as a negative payment and says so', () => {
    const document = parse835(T1.replace(BPR, 'BPR*I*80*D*ACH*'));

    expect(diagnosticsOf(document).map((d) => [d.code, d.message, d.found])).toEqual([
      [
        'PAYMENT_UNBALANCED',
        `segment 4 (BPR at byte ${T1.indexOf(BPR)}): BPR02 is -8000 cents (a debit: BPR03 is ` +
          'D) but the claim payments minus the provider adjustments come to 8000 cents',
        '-8000 cents',
      ],
    ]);
  });
});

describe('segments', () => {
  test('every 835 segment is recognized in its place', () => {
    const header =
      'ST*835*0001~BPR*I*80*C*ACH*CCP*01*999999999*DA*123456*1512345678**' +
      '01*888888888*DA*654321*20240108~' +
      'TRN*1*TRACE0001*1512345678~CUR*PR*USD~REF*EV*RECEIVER~DTM*405*20240105~' +
      'N1*PR*ACME TEST HEALTH PLAN~N2*PLAN DIVISION~N3*1 TEST WAY~N4*SPRINGFIELD*ZZ*00000~' +
      'REF*2U*PAYER01~' +
      'PER*BL*TEST CONTACT*TE*5555550100~N1*PE*SAMPLE CLINIC*XX*1999999984~RDM*EM*SAMPLE~LX*1~' +
      'TS3*1999999984*11*20241231*1*200~TS2*0~';
    const claimLoop =
      'CLP*PCN-1001*1*200*80*50*12*CLM0001~NM1*QC*1*DOE*JANE****MI*MEM0001~MIA*0~MOA***MA01~' +
      'REF*EA*CHART7~DTM*232*20240102~PER*CX*CLAIMS*TE*5555550101~AMT*AU*130~QTY*CA*1~' +
      'SVC*HC:99213*200*80**1~DTM*472*20240102~CAS*CO*45*70~CAS*PR*1*30**2*20~REF*6R*L1~' +
      'AMT*B6*130~QTY*ZK*1~LQ*HE*N130~PLB*1999999984*20241231*L6*0~';
    const body = header + claimLoop;
    const segments = body.split('~').length;
    const envelopeStart = T1.slice(0, T1.indexOf('ST*'));
    const input = `${envelopeStart}${body}SE*${segments}*0001~GE*1*101~IEA*1*000000101~`;
    const document = parse835(input);
    const read = claim(document, 'PCN-1001');

    expect(diagnosticsOf(document)).toEqual([]);
    expect(read.amounts).toEqual([{ qualifier: 'AU', amountCents: 13_000 }]);
    expect(read.serviceLines[0]).toMatchObject({
      allowedCents: 13_000,
      remarks: [{ qualifier: 'HE', code: 'N130' }],
    });
    expect(read.references).toEqual([{ qualifier: 'EA', value: 'CHART7' }]);
    expect(document.transactions[0]?.payer?.references).toEqual([
      { qualifier: '2U', value: 'PAYER01' },
    ]);
    expect(document.transactions[0]?.references).toEqual([{ qualifier: 'EV', value: 'RECEIVER' }]);
  });

  test('a segment past 64 KiB is skipped as damage, but counted; its claim is kept', () => {
    const input = withClaimLoop(CLAIM_LOOP.replace('SVC*', `REF*EA*${'X'.repeat(70_000)}~SVC*`), 1);
    const offset = input.indexOf('REF*EA*X');
    const segment = input.slice(0, offset).split('~').length;
    const document = parse835(input);

    // SE01 counts the skipped segment, so the count matches; the next segment is numbered
    // after it.
    expect(diagnosticsOf(document)).toMatchObject([
      {
        code: 'MALFORMED_SEGMENT',
        segment,
        offset,
        message: `segment ${segment} at byte ${offset}: a segment runs past 65536 bytes without \
a terminator; it is skipped`,
      },
    ]);
    expect(claim(document, 'PCN-1001').patientResponsibility.adjustmentCents).toBe(5_000);
    const damaged = parse835(input.replace('SVC*HC:99213*', 'SVC*HC:99213*1X'));
    expect(diagnosticsOf(damaged).map((d) => [d.code, d.segment])).toEqual([
      ['MALFORMED_SEGMENT', segment],
      ['INVALID_AMOUNT', segment + 1],
    ]);
  });

  test('input that ends without a terminator after IEA is read, with an error', () => {
    const document = parse835(T1.slice(0, -1));

    expect(codesOf(document)).toEqual(['MALFORMED_SEGMENT']);
    expect(claimsOf(document)).toHaveLength(1);
  });

  test('a segment the 835 does not have is reported on its claim, which is kept', () => {
    const document = parse835(withClaimLoop(CLAIM_LOOP.replace('SVC*', 'ZZZ*1*2~SVC*'), 1));
    const read = claim(document, 'PCN-1001');

    expect(read.diagnostics.map((d) => [d.code, d.segmentId, d.severity])).toEqual([
      ['UNKNOWN_SEGMENT', 'ZZZ', 'error'],
    ]);
    expect(read.patientResponsibility.adjustmentCents).toBe(5_000);
  });

  test("a claim keeps its first 100 problems; the rest are its set's, none dropped", async () => {
    const damage = Array.from({ length: 150 }, (_, k) => `ZZZ*${k}~`).join('');
    const input = withClaimLoop(CLAIM_LOOP.replace('SVC*', `${damage}SVC*`), 150);
    const document = parse835(input);
    const read = claim(document, 'PCN-1001');
    const numbers = diagnosticsOf(document).map((d) => d.segment);

    expect(read.diagnostics).toHaveLength(100);
    expect(document.transactions[0]?.diagnostics).toHaveLength(50);
    expect(codesOf(document)).toEqual(Array(150).fill('UNKNOWN_SEGMENT'));
    // The set's problems are listed first, so the claim's 100 are the earliest.
    expect([...numbers.slice(50), ...numbers.slice(0, 50)]).toEqual(
      Array.from({ length: 150 }, (_, k) => (numbers[50] as number) + k),
    );
    expect(read.patientResponsibility.adjustmentCents).toBe(5_000);

    const events: string[] = [];
    for await (const event of stream835(input, { unit: 'claim' })) {
      if (event.type !== 'diagnostic') events.push(event.type);
      else events.push(event.transaction === undefined ? 'outside' : 'set');
    }
    expect(events).toEqual([...Array(50).fill('set'), 'claim', 'transaction']);
  });

  test('however damaged a claim, handing claims over holds at most 100 of its problems', () => {
    const damage = 'ZZZ*1~'.repeat(300_000);
    let streamed = 0;
    let kept = -1;
    const parser = new Era835Parser({
      claim: (read) => {
        kept = read.diagnostics.length;
      },
      diagnostic: () => {
        streamed++;
      },
    });

    parser.push(withClaimLoop(CLAIM_LOOP.replace('SVC*', `${damage}SVC*`), 300_000));
    const stats = parser.end();

    expect([kept, streamed, stats.errors, stats.claims]).toEqual([100, 299_900, 300_000, 1]);
  });

  test.each([
    ['a space after it', 'CAS*PR *1*30**2*20~'],
    ['spaces around it', 'CAS* PR *1*30**2*20~'],
  ])('CAS01 with %s reads as its code, as other elements do', (_name, segment) => {
    const document = parse835(T1.replace('CAS*PR*1*30**2*20~', segment));

    expect(diagnosticsOf(document)).toEqual([]);
    expect(claim(document, 'PCN-1001').patientResponsibility).toMatchObject({
      declaredCents: 5_000,
      adjustmentCents: 5_000,
      deductibleCents: 3_000,
      coinsuranceCents: 2_000,
    });
    expect(claim(document, 'PCN-1001').serviceLines[0]?.adjustments[1]?.group).toBe('PR');
  });

  test.each([
    ['no code', 'SVC*HC:*200*80**1~', 'SVC01-2', { qualifier: 'HC', code: null }],
    ['a blank code', 'SVC*HC: :25*200*80**1~', 'SVC01-2', { qualifier: 'HC', code: null }],
    ['no qualifier', 'SVC*:99213*200*80**1~', 'SVC01-1', { qualifier: null, code: '99213' }],
    ['a blank qualifier', 'SVC* :99213*200*80**1~', 'SVC01-1', { qualifier: null, code: '99213' }],
  ])('SVC01 with %s is reported; the line is kept', (_name, segment, element, procedure) => {
    const document = parse835(T1.replace('SVC*HC:99213*200*80**1~', segment));

    expect(diagnosticsOf(document).map((d) => [d.code, d.element, d.segmentId])).toEqual([
      ['MISSING_ELEMENT', element, 'SVC'],
    ]);
    expect(claim(document, 'PCN-1001').serviceLines[0]).toMatchObject({
      procedure,
      chargeCents: 20_000,
      paidCents: 8_000,
    });
  });

  test('a segment out of place is reported and ignored', () => {
    const document = parse835(withClaimLoop(`${CLAIM_LOOP}NM1*IL*1*DOE*JOHN****MI*MEM9~`, 1));
    const read = claim(document, 'PCN-1001');

    expect(read.diagnostics.map((d) => [d.code, d.segmentId])).toEqual([
      ['UNEXPECTED_SEGMENT', 'NM1'],
    ]);
    expect(read.insured).toBeNull();
  });

  test('a claim after PLB is still read, with an error', () => {
    const second = CLAIM_LOOP.replace('PCN-1001', 'PCN-1002');
    const loop = `${CLAIM_LOOP}PLB*1999999984*20241231*L6*0~${second}`;
    const document = parse835(withClaimLoop(loop, 7).replace('BPR*I*80*', 'BPR*I*160*'));

    expect(claimsOf(document).map((c) => c.patientControlNumber)).toEqual(['PCN-1001', 'PCN-1002']);
    expect(codesOf(document)).toEqual(['UNEXPECTED_SEGMENT']);
  });

  test('a transaction set without BPR or TRN says so', () => {
    const input = T1.replace(/BPR\*[^~]*~/, '')
      .replace(/TRN\*[^~]*~/, '')
      .replace('SE*17*', 'SE*15*');
    const document = parse835(input);

    expect(document.transactions[0]?.diagnostics.map((d) => [d.code, d.expected])).toEqual([
      ['MISSING_SEGMENT', 'BPR'],
      ['MISSING_SEGMENT', 'TRN'],
    ]);
  });

  test('an amount that is not a number names its element, segment and byte offset', () => {
    const input = withClaimLoop(CLAIM_LOOP.replace('CAS*CO*45*70~', 'CAS*CO*45*7O~'));
    const [problem] = diagnosticsOf(parse835(input));

    expect(problem).toMatchObject({
      severity: 'error',
      code: 'INVALID_AMOUNT',
      element: 'CAS03',
      segmentId: 'CAS',
      segment: 17,
      offset: input.indexOf('CAS*CO*45*7O'),
      found: '7O',
    });
    expect(problem?.message).toContain(`segment 17 (CAS at byte ${input.indexOf('CAS*CO*45*7O')})`);
  });

  test('a reversal (CLP02 22) keeps its negative amounts and balances', () => {
    const loop = CLAIM_LOOP.replace('*1*200*80*50*', '*22*-200*-80*-50*')
      .replace('*200*80**1', '*-200*-80**-1')
      .replace('CAS*CO*45*70', 'CAS*CO*45*-70')
      .replace('CAS*PR*1*30**2*20', 'CAS*PR*1*-30**2*-20');
    const document = parse835(
      withClaimLoop(loop).replace('BPR*I*80*', 'BPR*I*80*C*').replace('*C*C*', '*D*'),
    );

    expect(claim(document, 'PCN-1001')).toMatchObject({
      statusCode: '22',
      chargeCents: -20_000,
      paidCents: -8_000,
      patientResponsibility: {
        declaredCents: -5_000,
        adjustmentCents: -5_000,
        deductibleCents: -3_000,
      },
    });
    expect(diagnosticsOf(document)).toEqual([]);
  });

  test('UTF-8 names are decoded; offsets count bytes', () => {
    const input = withClaimLoop(CLAIM_LOOP.replace('DOE*JANE', 'NÚÑEZ*JOSÉ'));
    const document = parse835(input);

    expect(claim(document, 'PCN-1001').patient).toMatchObject({
      lastName: 'NÚÑEZ',
      firstName: 'JOSÉ',
    });
    expect(document.transactions[0]?.diagnostics).toEqual([]);
    expect(Buffer.byteLength(input)).toBe(input.length + 3);
  });
});
