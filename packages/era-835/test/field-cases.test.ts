import { describe, expect, test } from 'vitest';
import { parse835, stream835 } from '../src/index';
import { claim, claimsOf, codesOf, diagnosticsOf, fieldCase, streamed, text } from './support';

/** The document without byte positions, which legitimately differ between encodings. */
function withoutPositions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPositions);
  if (value === null || typeof value !== 'object') return value;
  const kept = Object.entries(value).filter(
    ([key]) => !['position', 'delimiters', 'message', 'offset', 'segment'].includes(key),
  );
  return Object.fromEntries(kept.map(([key, inner]) => [key, withoutPositions(inner)]));
}

const T1 = parse835(fieldCase('T-1'));

function replaceText(bytes: Uint8Array, from: string, to: string): string {
  const source = text(bytes);
  if (!source.includes(from)) throw new Error(`fixture has no ${from}`);
  return source.replace(from, to);
}

describe('T-1, the baseline every variant is compared with', () => {
  test('reads one claim PCN-1001 with 50.00 owed: deductible 30.00 and coinsurance 20.00', () => {
    const [transaction] = T1.transactions;
    const claims = claimsOf(T1);

    expect(T1.transactions).toHaveLength(1);
    expect(claims).toHaveLength(1);
    expect(claims[0]).toMatchObject({
      patientControlNumber: 'PCN-1001',
      statusCode: '1',
      chargeCents: 20_000,
      paidCents: 8_000,
      payerClaimControlNumber: 'CLM0001',
      patient: { lastName: 'DOE', firstName: 'JANE', idQualifier: 'MI', id: 'MEM0001' },
      patientResponsibility: {
        declaredCents: 5_000,
        adjustmentCents: 5_000,
        deductibleCents: 3_000,
        coinsuranceCents: 2_000,
        copayCents: 0,
        otherCents: 0,
      },
    });
    expect(transaction?.trace).toEqual({
      typeCode: '1',
      traceNumber: 'TRACE0001',
      payerIdentifier: '1512345678',
      supplementalCode: null,
    });
    expect(transaction?.payment).toMatchObject({
      amountCents: 8_000,
      method: 'ACH',
      date: '2024-01-08',
    });
    expect(diagnosticsOf(T1)).toEqual([]);
  });
});

describe('BR-01: the terminator comes from the ISA, line breaks around it are skipped', () => {
  test.each([
    ['BR-01a', 'LF as the terminator, no ~ at all'],
    ['BR-01b', '~ followed by CR LF after every segment'],
    ['BR-01c', '~ and LF, plus a blank line after IEA'],
  ])('%s (%s) gives exactly the T-1 result', (name) => {
    const document = parse835(fieldCase(name));

    expect(withoutPositions(document)).toEqual(withoutPositions(T1));
    expect(diagnosticsOf(document)).toEqual([]);
  });

  test('BR-01a declares LF as its terminator', () => {
    const document = parse835(fieldCase('BR-01a'));

    expect(document.transactions[0]?.interchange?.delimiters.segment).toBe('\n');
  });
});

describe('BR-02: every delimiter comes from the ISA', () => {
  test('T-1 written with | ! > ? gives the T-1 result and splits SVC01 on >', () => {
    const document = parse835(fieldCase('BR-02'));
    const line = claim(document, 'PCN-1001').serviceLines[0];

    expect(withoutPositions(document)).toEqual(withoutPositions(T1));
    expect(document.transactions[0]?.interchange?.delimiters).toEqual({
      element: '|',
      component: '>',
      repetition: '!',
      segment: '?',
    });
    expect(line?.procedure).toEqual({
      qualifier: 'HC',
      code: '99213',
      modifiers: [],
      description: null,
    });
  });

  test('a * or : inside data of that file is plain text', () => {
    const input = replaceText(
      fieldCase('BR-02'),
      'N3|1 TEST WAY?',
      'N3|1 TEST*WAY: SUITE 2?',
    ).replace('N1|PR|ACME TEST HEALTH PLAN?', 'N1|PR|ACME*TEST:PLAN?');
    const document = parse835(input);

    expect(document.transactions[0]?.payer?.name).toBe('ACME*TEST:PLAN');
    expect(document.transactions[0]?.payer?.address?.lines).toEqual(['1 TEST*WAY: SUITE 2']);
    expect(diagnosticsOf(document)).toEqual([]);
  });

  test('delimiters & # @ $ are detected as well', () => {
    const source = text(fieldCase('T-1'))
      .replaceAll('*', '&')
      .replaceAll('~', '$')
      .replace('&^&00501&', '&#&00501&')
      .replace('&T&:$', '&T&@$')
      .replace('HC:99213', 'HC@99213');
    const document = parse835(source);

    expect(document.transactions[0]?.interchange?.delimiters).toEqual({
      element: '&',
      component: '@',
      repetition: '#',
      segment: '$',
    });
    expect(withoutPositions(document)).toEqual(withoutPositions(T1));
  });
});

describe('BR-05: several transaction sets and interchanges', () => {
  test('(a) two ST/SE in one group give two transactions with their own payment and trace', () => {
    const document = parse835(fieldCase('BR-05a'));
    const [first, second] = document.transactions;

    expect(document.transactions).toHaveLength(2);
    expect(first?.trace?.traceNumber).toBe('TRACE5001');
    expect(first?.payment?.amountCents).toBe(8_000);
    expect(first?.claims.map((c) => c.patientControlNumber)).toEqual(['PCN-5001']);
    expect(second?.trace?.traceNumber).toBe('TRACE5002');
    expect(second?.payment?.amountCents).toBe(9_000);
    expect(second?.claims.map((c) => c.patientControlNumber)).toEqual(['PCN-5002']);
    expect(claim(document, 'PCN-5001').patientResponsibility).toMatchObject({
      adjustmentCents: 5_000,
      deductibleCents: 3_000,
      coinsuranceCents: 2_000,
    });
    expect(claim(document, 'PCN-5002').patientResponsibility).toMatchObject({
      adjustmentCents: 3_000,
      copayCents: 3_000,
    });
    expect(diagnosticsOf(document)).toEqual([]);
  });

  test('(b) two appended interchanges are both read, each with its own control number', () => {
    const document = parse835(fieldCase('BR-05b'));

    expect(document.transactions.map((t) => t.interchange?.controlNumber)).toEqual([
      '000000101',
      '000000102',
    ]);
    expect(document.transactions.map((t) => t.group?.controlNumber)).toEqual(['101', '102']);
    expect(claim(document, 'PCN-1001').patientResponsibility.adjustmentCents).toBe(5_000);
    expect(claim(document, 'PCN-1002').patientResponsibility.copayCents).toBe(3_000);
    expect(diagnosticsOf(document)).toEqual([]);
  });

  test('counts and control numbers are checked per transaction set and per group', () => {
    const input = replaceText(fieldCase('BR-05a'), 'SE*16*0002~', 'SE*15*0003~').replace(
      'GE*2*501~',
      'GE*3*501~',
    );
    const document = parse835(input);

    expect(document.transactions[0]?.diagnostics).toEqual([]);
    expect(document.transactions[1]?.diagnostics.map((d) => [d.code, d.element])).toEqual([
      ['SEGMENT_COUNT_MISMATCH', 'SE01'],
      ['CONTROL_NUMBER_MISMATCH', 'SE02'],
    ]);
    expect(document.diagnostics.map((d) => [d.code, d.element, d.expected])).toEqual([
      ['TRANSACTION_COUNT_MISMATCH', 'GE01', 'GE01 = 2'],
    ]);
  });
});

describe('BR-06: SVC01 keeps its qualifier and modifiers', () => {
  test('each line keeps its own composite, units and patient responsibility', () => {
    const document = parse835(fieldCase('BR-06'));
    const [first, second] = claim(document, 'PCN-1006').serviceLines;

    expect(first?.procedure).toEqual({
      qualifier: 'HC',
      code: '99213',
      modifiers: ['25'],
      description: null,
    });
    expect(first?.adjustments).toContainEqual({
      group: 'PR',
      reason: '3',
      amountCents: 3_000,
      quantity: null,
    });
    expect(second?.procedure).toEqual({
      qualifier: 'HC',
      code: '97110',
      modifiers: ['GP', '59'],
      description: null,
    });
    expect(second?.units).toBe('2');
    expect(second?.adjustments).toContainEqual({
      group: 'PR',
      reason: '2',
      amountCents: 3_000,
      quantity: null,
    });
    expect(claim(document, 'PCN-1006').patientResponsibility).toMatchObject({
      adjustmentCents: 6_000,
      copayCents: 3_000,
      coinsuranceCents: 3_000,
    });
    expect(diagnosticsOf(document)).toEqual([]);
  });

  test('up to four modifiers are kept, in order', () => {
    const document = parse835(
      replaceText(fieldCase('BR-06'), 'HC:99213:25', 'HC:99213:25:59:GT:XU'),
    );

    expect(claim(document, 'PCN-1006').serviceLines[0]?.procedure.modifiers).toEqual([
      '25',
      '59',
      'GT',
      'XU',
    ]);
  });
});

describe('BR-07: elements left out read as absent', () => {
  test('short NM1 segments and a line without units give nulls, not empty strings or zeros', () => {
    const document = parse835(fieldCase('BR-07'));
    const read = claim(document, 'PCN-1007');

    expect(read.patient).toEqual({
      entity: 'QC',
      entityType: '1',
      lastName: null,
      firstName: null,
      middleName: null,
      suffix: null,
      idQualifier: null,
      id: null,
    });
    expect(read.otherNames.map((name) => name.entity)).toEqual(['74']);
    expect(read.serviceLines[0]?.units).toBeNull();
    expect(read.patientResponsibility).toMatchObject({ adjustmentCents: 4_000, copayCents: 4_000 });
    expect(document.transactions[0]?.payer?.contacts).toEqual([
      { functionCode: 'BL', name: null, numbers: [{ qualifier: 'TE', value: '5555550100' }] },
    ]);
    expect(diagnosticsOf(document)).toEqual([]);
  });

  test('a claim without CLP01 is reported with its position, and only it is skipped', () => {
    const second = 'CLP*PCN-1008*1*100*60*40*12*CLM0008~NM1*QC*1~SVC*HC:99212*100*60~CAS*PR*3*40~';
    const input = replaceText(fieldCase('BR-07'), 'CLP*PCN-1007*', 'CLP**')
      .replace('SE*16*0001~', `${second}SE*20*0001~`)
      .replace('BPR*I*60*', 'BPR*I*120*');
    const document = parse835(input);
    const [transaction] = document.transactions;
    const skipped = transaction?.diagnostics[0];

    expect(claimsOf(document).map((c) => c.patientControlNumber)).toEqual(['PCN-1008']);
    expect(skipped).toMatchObject({
      severity: 'error',
      code: 'MISSING_ELEMENT',
      element: 'CLP01',
      segmentId: 'CLP',
    });
    expect(skipped?.segment).toBe(13);
    expect(skipped?.offset).toBe(input.indexOf('CLP**'));
  });
});

describe('BR-08: every CAS triplet counts, up to six in one segment', () => {
  test('six PR triplets are read; their sum equals CLP05 and the claim balances', () => {
    const document = parse835(fieldCase('BR-08'));
    const read = claim(document, 'PCN-1008');
    const patient = read.serviceLines[0]?.adjustments.filter((a) => a.group === 'PR');

    expect(patient?.map((a) => [a.reason, a.amountCents])).toEqual([
      ['96', 500],
      ['45', 250],
      ['204', 100],
      ['1', 1_000],
      ['2', 1_500],
      ['3', 2_000],
    ]);
    expect(read.patientResponsibility).toEqual({
      declaredCents: 5_350,
      adjustmentCents: 5_350,
      deductibleCents: 1_000,
      coinsuranceCents: 1_500,
      copayCents: 2_000,
      otherCents: 850,
    });
    expect(diagnosticsOf(document)).toEqual([]);
  });
});

describe('BR-10: PLB stays at transaction level', () => {
  test('two provider adjustments are read, composites split, and the payment balances', () => {
    const document = parse835(fieldCase('BR-10'));
    const [transaction] = document.transactions;

    expect(transaction?.providerAdjustments).toEqual([
      {
        providerId: '1999999984',
        fiscalPeriodDate: '2024-12-31',
        reason: 'WO',
        reference: 'CLM0009',
        amountCents: 2_500,
      },
      {
        providerId: '1999999984',
        fiscalPeriodDate: '2024-12-31',
        reason: 'L6',
        reference: null,
        amountCents: -150,
      },
    ]);
    expect(withoutPositions(transaction?.claims)).toEqual(
      withoutPositions(T1.transactions[0]?.claims),
    );
    expect(diagnosticsOf(document)).toEqual([]);
  });

  test('a BPR02 that does not equal the claim payments minus PLB is a warning', () => {
    const document = parse835(replaceText(fieldCase('BR-10'), 'BPR*I*56.5*', 'BPR*I*80*'));

    expect(document.transactions[0]?.diagnostics.map((d) => [d.code, d.expected, d.found])).toEqual(
      [['PAYMENT_UNBALANCED', '5650 cents', '8000 cents']],
    );
  });
});

describe('BR-11: CLP05 and the PR adjustments are both kept', () => {
  test('an absent CLP05 stays null beside the itemized copay; a differing one warns', () => {
    const document = parse835(fieldCase('BR-11'));
    const absent = claim(document, 'PCN-1111');
    const differing = claim(document, 'PCN-1112');

    expect(absent.patientResponsibility).toEqual({
      declaredCents: null,
      adjustmentCents: 2_500,
      deductibleCents: 0,
      coinsuranceCents: 0,
      copayCents: 2_500,
      otherCents: 0,
    });
    expect(absent.diagnostics).toEqual([]);
    expect(differing.patientResponsibility).toMatchObject({
      declaredCents: 4_000,
      adjustmentCents: 2_500,
    });
    expect(differing.diagnostics.map((d) => [d.code, d.severity, d.expected, d.found])).toEqual([
      ['PATIENT_RESPONSIBILITY_MISMATCH', 'warning', '2500 cents', '4000 cents'],
    ]);
    expect(codesOf(document)).toEqual(['PATIENT_RESPONSIBILITY_MISMATCH']);
  });
});

describe('BR-12: amounts are read exactly', () => {
  test('100., .5, 20. and -0 read as exact cents; -0 is zero', () => {
    const document = parse835(fieldCase('BR-12'));

    expect(claim(document, 'PCN-1201')).toMatchObject({
      chargeCents: 10_000,
      paidCents: 9_490,
      patientResponsibility: {
        declaredCents: 510,
        adjustmentCents: 510,
        deductibleCents: 460,
        coinsuranceCents: 50,
      },
    });
    expect(claim(document, 'PCN-1202')).toMatchObject({
      chargeCents: 2_000,
      paidCents: 0,
      patientResponsibility: { declaredCents: 2_000, copayCents: 2_000 },
    });
    expect(Object.is(claim(document, 'PCN-1203').patientResponsibility.declaredCents, 0)).toBe(
      true,
    );
    expect(document.transactions[0]?.payment?.amountCents).toBe(14_490);
    expect(diagnosticsOf(document)).toEqual([]);
  });

  test('a third decimal is an error on that element, never a rounding; 1E2 is 100.00', () => {
    const input = replaceText(fieldCase('BR-12'), '*5.1*12*CLM1201', '*5.105*12*CLM1201').replace(
      'CLP*PCN-1203*1*50*50*-0*',
      'CLP*PCN-1203*1*5E1*50*-0*',
    );
    const document = parse835(input);
    const rounded = claim(document, 'PCN-1201');

    expect(rounded.patientResponsibility.declaredCents).toBeNull();
    expect(rounded.diagnostics.map((d) => [d.code, d.element, d.found])).toEqual([
      ['INVALID_AMOUNT', 'CLP05', '5.105'],
    ]);
    expect(claim(document, 'PCN-1203').chargeCents).toBe(5_000);
  });
});

describe('BR-13: very large files stream in bounded memory', () => {
  const CLAIM_LOOP = (n: number): string => {
    const id = String(n).padStart(6, '0');
    return (
      `CLP*PCN-${id}*1*200*80*50*12*CLM-${id}~NM1*QC*1*DOE*JANE****MI*MEM0001~` +
      'SVC*HC:99213*200*80**1~DTM*472*20240102~CAS*CO*45*70~CAS*PR*1*30**2*20~'
    );
  };

  /**
   * 40 transaction sets of 5,000 T-1 claim loops each, produced lazily so that the input
   * never sits in memory; SE01 = 10 + 6 x 5000 + 1 = 30011. A damaged set has one claim
   * payment that does not read and a wrong SE01.
   */
  function* largeFile(damaged: ReadonlySet<number> = new Set()): Generator<string> {
    const t1 = text(fieldCase('T-1'));
    const header = t1.slice(t1.indexOf('ST*835'), t1.indexOf('CLP*'));
    yield t1.slice(0, t1.indexOf('ST*835'));
    for (let transaction = 1; transaction <= 40; transaction++) {
      const control = String(transaction).padStart(4, '0');
      yield header
        .replace('ST*835*0001', `ST*835*${control}`)
        .replace('BPR*I*80*', 'BPR*I*400000*')
        .replace('TRACE0001', `TRACE${control}`);
      for (let first = 1; first <= 5_000; first += 100) {
        let block = '';
        for (let n = first; n < first + 100; n++)
          block += CLAIM_LOOP((transaction - 1) * 5_000 + n);
        if (damaged.has(transaction) && first === 2_501) {
          block = block.replace('*1*200*80*50*', '*1*200*8O*50*');
        }
        yield block;
      }
      yield `SE*${damaged.has(transaction) ? 1 : 30_011}*${control}~`;
    }
    yield 'GE*40*101~IEA*1*000000101~';
  }

  test('200,000 claims of 50.00 arrive exactly once while the heap stays bounded', async () => {
    const seen = new Set<string>();
    let owed = 0;
    let peakHeap = 0;
    for await (const event of stream835(largeFile(), { unit: 'claim' })) {
      if (event.type !== 'claim') continue;
      seen.add(event.claim.patientControlNumber);
      owed += event.claim.patientResponsibility.adjustmentCents;
      if (seen.size % 20_000 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }

    expect(seen.size).toBe(200_000);
    expect(owed).toBe(200_000 * 5_000);
    expect(peakHeap).toBeLessThan(256 * 1024 * 1024);
  });

  test('a damaged transaction set in the middle is reported; the others are kept', async () => {
    let claims = 0;
    const problems: string[] = [];
    for await (const event of stream835(largeFile(new Set([20])), { unit: 'claim' })) {
      if (event.type === 'claim') claims++;
      else if (event.type === 'transaction') expect(event.transaction.diagnostics).toEqual([]);
      else problems.push(`${event.transaction?.controlNumber} ${event.diagnostic.code}`);
    }

    expect(claims).toBe(199_999);
    expect(problems).toEqual(['0020 INVALID_AMOUNT', '0020 SEGMENT_COUNT_MISMATCH']);
  });
});

describe('the document shape', () => {
  test.each([
    'T-1',
    'BR-01a',
    'BR-02',
    'BR-05a',
    'BR-05b',
    'BR-06',
    'BR-07',
    'BR-08',
    'BR-10',
    'BR-11',
    'BR-12',
  ])('parse835 and stream835 agree on %s', async (name) => {
    expect(await streamed(fieldCase(name))).toEqual(parse835(fieldCase(name)));
  });
});
