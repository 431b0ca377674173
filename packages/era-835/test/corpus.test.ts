import { describe, expect, test } from 'vitest';
import { type Era835Document, parse835 } from '../src/index';
import {
  claim,
  claimsOf,
  codesOf,
  corpusFile,
  corpusFiles,
  cut,
  diagnosticsOf,
  hasCorpus,
  parsedByHandlers,
  streamed,
} from './support';

if (!hasCorpus) console.info('era-835 corpus tests skipped: ../shared/corpus/era835 is absent');

const read = (path: string): Era835Document => parse835(corpusFile(path));
const linesOf = (document: Era835Document) =>
  claimsOf(document).flatMap((c) => [...c.serviceLines]);
const sum = (values: readonly (number | null)[]) =>
  values.reduce<number>((total, v) => total + (v ?? 0), 0);

describe.skipIf(!hasCorpus)('every corpus file', () => {
  test.each(corpusFiles())(
    '%s parses, the same whole, streamed in 291-byte chunks, or by the handlers alone',
    async (path) => {
      const bytes = corpusFile(path);
      const whole = parse835(bytes);
      const offsets = Array.from(
        { length: Math.floor((bytes.length - 1) / 291) },
        (_, k) => (k + 1) * 291,
      );

      expect(await streamed(cut(bytes, offsets))).toEqual(whole);
      expect(parsedByHandlers(bytes)).toEqual(whole);
      expect(JSON.parse(JSON.stringify(whole))).toEqual(whole);
    },
  );
});

describe.skipIf(!hasCorpus)('keironstoddart/edi-835-parser', () => {
  const blueCross = 'keironstoddart__edi-835-parser/blue_cross_nc_sample.txt';
  const emedny = 'keironstoddart__edi-835-parser/emedny_sample.txt';
  const united = 'keironstoddart__edi-835-parser/united_healthcare_legacy_sample.txt';

  test('claim and patient counts: 1, 2 and 3, six in all', () => {
    const counts = [blueCross, united, emedny].map((path) => {
      const claims = claimsOf(read(path));
      return [claims.length, claims.filter((c) => c.patient !== null).length];
    });

    expect(counts).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });

  test.each([blueCross, united, emedny])(
    '%s: the payment equals the sum of the line payments',
    (path) => {
      const document = read(path);

      expect(sum(linesOf(document).map((line) => line.paidCents))).toBe(
        document.transactions[0]?.payment?.amountCents,
      );
    },
  );

  test('blue_cross_nc: lines, adjustments and the malformed third SVC', () => {
    const document = read(blueCross);
    const [first, second, third] = linesOf(document);

    expect(first).toMatchObject({
      procedure: { code: '59430' },
      chargeCents: 121_000,
      paidCents: 105_786,
      allowedCents: 117_540,
    });
    expect(first?.adjustments.map((a) => [a.group, a.reason, a.amountCents])).toEqual([
      ['CO', '42', 3_460],
      ['PR', '2', 11_754],
    ]);
    expect(second).toMatchObject({
      procedure: { code: '59440' },
      chargeCents: 89_000,
      paidCents: 86_500,
    });
    expect(second?.adjustments.map((a) => [a.group, a.reason, a.amountCents])).toEqual([
      ['PR', '3', 2_500],
    ]);
    expect(third).toMatchObject({
      procedure: { code: '59426' },
      chargeCents: null,
      allowedCents: 74_200,
      originalUnits: '742',
    });
    expect(claim(document, '200200964A52')).toMatchObject({
      paidCents: 192_286,
      patientResponsibility: {
        declaredCents: 14_254,
        adjustmentCents: 14_254,
        coinsuranceCents: 11_754,
        copayCents: 2_500,
      },
    });
    expect(document.transactions[0]?.payment?.amountCents).toBe(192_286);
    expect(document.transactions[0]?.interchange).toBeNull();
    expect(diagnosticsOf(document).map((d) => [d.code, d.element])).toEqual([
      ['SEGMENT_COUNT_MISMATCH', 'SE01'],
      ['MISSING_ELEMENT', 'SVC02'],
      ['MISSING_ELEMENT', 'SVC03'],
    ]);
  });

  // EXPECTED.md marks the source's CSV as disagreeing with the file: it drops PR-1 110.00.
  test('united_healthcare_legacy: both triplets of CAS*PR*2*5.13**1*110 count', () => {
    const document = read(united);
    const lines = linesOf(document);

    expect(lines.map((l) => [l.procedure.code, l.units, l.chargeCents, l.paidCents])).toEqual([
      ['B4152', '234', 15_642, 8_892],
      ['B4152', '277', 18_486, 0],
      ['B4154', expect.any(String), 45_990, 20_418],
      ['B4034', expect.any(String), 2_784, 2_784],
      ['B4154', '178', 32_850, 2_905],
    ]);
    expect(lines[1]?.adjustments.map((a) => [a.group, a.reason, a.amountCents])).toEqual([
      ['PR', '1', 10_526],
      ['CO', '45', 7_960],
    ]);
    expect(lines[4]?.adjustments.map((a) => [a.group, a.reason, a.amountCents])).toEqual([
      ['PR', '2', 513],
      ['PR', '1', 11_000],
      ['CO', '45', 18_432],
    ]);
    expect(claim(document, '001-18573-358').patientResponsibility).toMatchObject({
      declaredCents: 10_526,
      adjustmentCents: 10_526,
      deductibleCents: 10_526,
    });
    expect(claim(document, '001-18604-358').patientResponsibility).toMatchObject({
      declaredCents: 11_513,
      adjustmentCents: 11_513,
      deductibleCents: 11_000,
      coinsuranceCents: 513,
    });
    expect(diagnosticsOf(document)).toEqual([]);
  });

  test('emedny: ten lines, no patient responsibility, BPR02 = 34.25 + 0 + 11.50', () => {
    const document = read(emedny);
    const lines = linesOf(document);

    expect(lines.map((l) => l.paidCents)).toEqual([600, 275, 550, 2_000, 0, 0, 600, 550, 0, 0]);
    expect(
      lines.slice(4, 6).map((l) => l.adjustments.map((a) => [a.group, a.reason, a.amountCents])),
    ).toEqual([[['CO', '29', 1_200]], [['CO', '29', 2_200]]]);
    expect(
      lines.slice(8).map((l) => l.adjustments.map((a) => [a.group, a.reason, a.amountCents])),
    ).toEqual([[['CO', '251', 275]], [['CO', '251', 2_000]]]);
    expect(lines[9]?.remarks).toEqual([{ qualifier: 'HE', code: 'N206' }]);
    expect(claimsOf(document).map((c) => c.paidCents)).toEqual([3_425, 0, 1_150]);
    expect(claimsOf(document).map((c) => c.patientResponsibility.adjustmentCents)).toEqual([
      0, 0, 0,
    ]);
    expect(document.transactions[0]?.payment?.amountCents).toBe(4_575);
  });
});

describe.skipIf(!hasCorpus)('affect-therapeutics/edi-835-parser', () => {
  const folder = 'affect-therapeutics__edi-835-parser';

  test.each([
    ['keironstoddart__edi-835-parser/blue_cross_nc_sample.txt', 1, 1, 3],
    [`${folder}/emedny_sample.txt`, 3, 1, 10],
    [`${folder}/sample_835.txt`, 6, 2, 12],
    [`${folder}/nevada_medicaid.txt`, 3, 3, 0],
  ])(
    '%s: %i claims, %i transaction sets, %i service lines',
    (path, claims, transactions, lines) => {
      const document = read(path);

      expect([
        claimsOf(document).length,
        document.transactions.length,
        linesOf(document).length,
      ]).toEqual([claims, transactions, lines]);
    },
  );

  test('nevada_medicaid: claim 77777777 charges 72232; the PLB-only set balances', () => {
    const document = read(`${folder}/nevada_medicaid.txt`);
    const plbOnly = document.transactions[2];

    expect(claim(document, '77777777').chargeCents).toBe(7_223_200);
    expect(plbOnly?.claims).toEqual([]);
    expect(plbOnly?.providerAdjustments).toHaveLength(6);
    expect(sum(plbOnly?.providerAdjustments.map((a) => a.amountCents) ?? [])).toBe(-181_227);
    expect(plbOnly?.diagnostics).toEqual([]);
    expect(codesOf(document)).toEqual(['CONTROL_NUMBER_MISMATCH']);
  });

  test('sample_835_with_interests: the claim-level interest (AMT*I) totals 10.30', () => {
    const document = read(`${folder}/sample_835_with_interests.txt`);
    const interest = claimsOf(document).flatMap((c) =>
      c.amounts.filter((a) => a.qualifier === 'I'),
    );

    expect(sum(interest.map((a) => a.amountCents))).toBe(1_030);
    expect(
      diagnosticsOf(document)
        .filter((d) => d.code === 'UNKNOWN_SEGMENT')
        .map((d) => d.found),
    ).toEqual(['resnCode>adjID>5']);
  });

  test('exhaustive_sample: PER in the claim loop is read as the claim contact', () => {
    const document = read(`${folder}/exhaustive_sample.txt`);

    expect(claim(document, 'X').contacts).toEqual([
      {
        functionCode: 'CX',
        name: 'XXXXX',
        numbers: [
          { qualifier: 'TE', value: 'XXXX' },
          { qualifier: 'FX', value: 'XXX' },
          { qualifier: 'EX', value: 'XXXXXX' },
        ],
      },
    ]);
    expect(codesOf(document)).toEqual([]);
  });

  test('sample_835, first transaction set: header values', () => {
    const [first] = read(`${folder}/sample_835.txt`).transactions;

    expect(first?.controlNumber).toBe('1002');
    expect(first?.payer?.address?.lines).toEqual(['400 BROADWAY']);
    expect(first?.productionDate).toBe('2022-01-05');
    expect(first?.references).toContainEqual({ qualifier: 'EV', value: 'X'.repeat(30) });
    expect(first?.claims[0]?.headerNumber).toBe('1');
    expect(first?.payee?.references).toContainEqual({ qualifier: 'TJ', value: '204881619' });
  });

  test('sample_835: a payee written as FI keeps that qualifier and its number', () => {
    const source = corpusFile(`${folder}/sample_835.txt`).toString('latin1');
    const rewritten = source.replace(
      'N1*PE*UNIVERSITY HOSPITALS MEDICAL GROUP INC*XX*1669499414',
      'N1*PE*UNIVERSITY HOSPITALS MEDICAL GROUP INC*FI*130871925',
    );

    expect(parse835(rewritten).transactions[0]?.payee).toMatchObject({
      idQualifier: 'FI',
      id: '130871925',
    });
  });

  test('sample_835: the claims the CLI snapshot holds', () => {
    const document = read(`${folder}/sample_835.txt`);
    const rows = document.transactions.flatMap((t) =>
      t.claims.map((c) => [
        c.patientControlNumber,
        t.controlNumber,
        c.statusCode,
        c.chargeCents,
        c.paidCents,
        c.patientResponsibility.declaredCents,
      ]),
    );

    expect(rows).toEqual([
      ['patient_control_number0', '1002', '2', 2_300, 178, null],
      ['patient_control_number1', '1002', '2', 10_500, 0, 735],
      ['patient_control_number2', '1001', '1', 15_700, 13_281, 2_000],
      ['patient_control_number3', '1001', '2', 26_800, 530, 2_000],
      ['patient_control_number4', '1001', '2', 15_700, 151, 2_000],
      ['patient_control_number5', '1001', '2', 15_700, 151, 2_000],
    ]);
  });

  test('sample_835: line adjustments, the negative PR-23 triplet, PR sums equal to CLP05', () => {
    const document = read(`${folder}/sample_835.txt`);
    const adjustments = (pcn: string) =>
      claim(document, pcn).serviceLines.flatMap((l) =>
        l.adjustments.map((a) => [a.group, a.reason, a.amountCents]),
      );

    expect(adjustments('patient_control_number0')).toEqual([['OA', '23', 2_122]]);
    expect(adjustments('patient_control_number1')).toEqual([
      ['PR', '2', 2_100],
      ['PR', '23', -1_365],
      ['OA', '23', 9_765],
    ]);
    expect(adjustments('patient_control_number2')).toEqual([
      ['PR', '3', 2_000],
      ['CO', '45', 419],
    ]);
    expect(adjustments('patient_control_number3')).toEqual([
      ['PR', '3', 2_000],
      ['OA', '23', 13_170],
      ['OA', '23', 4_400],
      ['OA', '23', 6_700],
    ]);
    expect(adjustments('patient_control_number4')).toEqual([
      ['PR', '3', 2_000],
      ['OA', '23', 13_549],
    ]);
    expect(adjustments('patient_control_number5')).toEqual(adjustments('patient_control_number4'));
    expect(claimsOf(document).map((c) => c.patientResponsibility.adjustmentCents)).toEqual([
      0, 735, 2_000, 2_000, 2_000, 2_000,
    ]);
    expect(claimsOf(document).map((c) => c.patientResponsibility.otherCents)).toEqual([
      0, -1_365, 0, 0, 0, 0,
    ]);
  });

  test('sample_835: the placeholder claim CAS is refused, not read as an adjustment', () => {
    const document = read(`${folder}/sample_835.txt`);
    const placeholders = claimsOf(document).slice(0, 2);

    expect(placeholders.map((c) => c.adjustments)).toEqual([[], []]);
    expect(placeholders.map((c) => c.diagnostics.map((d) => [d.code, d.element, d.found]))).toEqual(
      [[['INVALID_VALUE', 'CAS01', 'grp_code']], [['INVALID_VALUE', 'CAS01', 'grp_code']]],
    );
  });

  test('sample_835: provider adjustments, payments and payees of both transaction sets', () => {
    const [first, second] = read(`${folder}/sample_835.txt`).transactions;

    expect(first?.providerAdjustments).toEqual([
      {
        providerId: '1002',
        fiscalPeriodDate: '2021-12-16',
        reason: 'resnCode',
        reference: 'adjID',
        amountCents: 500,
      },
    ]);
    expect(second?.providerAdjustments).toEqual([
      {
        providerId: '1001',
        fiscalPeriodDate: '2021-12-16',
        reason: 'resnCode',
        reference: 'adjID',
        amountCents: null,
      },
    ]);
    expect(second?.diagnostics.map((d) => [d.code, d.element])).toContainEqual([
      'MISSING_ELEMENT',
      'PLB04',
    ]);
    expect(
      [first, second].map((t) => [
        t?.payment?.amountCents,
        t?.payment?.method,
        t?.payment?.format,
        t?.payment?.creditDebit,
        t?.payment?.date,
      ]),
    ).toEqual([
      [178, 'ACH', 'CCP', 'C', '2022-01-11'],
      [14_113, 'ACH', 'CCP', 'C', '2022-01-11'],
    ]);
    expect([first, second].map((t) => t?.trace?.traceNumber)).toEqual([
      '081000607720126',
      '081000607720039',
    ]);
    expect([first, second].map((t) => [t?.payee?.idQualifier, t?.payee?.id])).toEqual([
      ['XX', '1669499414'],
      ['XX', '1720220098'],
    ]);
    expect(
      [first, second].map((t) => t?.payee?.references.find((r) => r.qualifier === 'TJ')?.value),
    ).toEqual(['204881619', '341768928']);
  });
});

describe.skipIf(!hasCorpus)('LinuxForHealth/x12', () => {
  const folder = 'LinuxForHealth__x12';

  test('medicare-part-a: an empty CLP05 is absent, not zero; PLB CV:CP balances BPR02', () => {
    const document = read(`${folder}/medicare-part-a.835`);

    expect(claim(document, '666123')).toMatchObject({
      chargeCents: 21_136_697,
      paidCents: 13_801_840,
      filingIndicator: 'MA',
      patientResponsibility: { declaredCents: null, adjustmentCents: 0 },
    });
    expect(document.transactions[0]?.providerAdjustments).toEqual([
      {
        providerId: '6543210903',
        fiscalPeriodDate: '2002-12-31',
        reason: 'CV',
        reference: 'CP',
        amountCents: -127,
      },
    ]);
    expect(document.transactions[0]?.payment).toMatchObject({
      handlingCode: 'C',
      amountCents: 15_000_000,
    });
    expect(diagnosticsOf(document)).toEqual([]);
  });

  test('secondary-payment: PR-1 and PR-2 in one CAS; an SVC01 written with > is split on >', () => {
    const document = read(`${folder}/secondary-payment.835`);

    expect(claim(document, '0001000053').patientResponsibility).toMatchObject({
      declaredCents: 22_000,
      adjustmentCents: 22_000,
      deductibleCents: 15_000,
      coinsuranceCents: 7_000,
    });
    expect(claim(document, '0001000053').serviceLines.map((l) => l.procedure)).toEqual([
      { qualifier: 'HC', code: '12345', modifiers: ['26'], description: null },
      { qualifier: 'HC', code: '66543', modifiers: ['26'], description: null },
    ]);
    expect(codesOf(document)).toEqual([
      'COMPONENT_SEPARATOR_MISMATCH',
      'COMPONENT_SEPARATOR_MISMATCH',
    ]);
  });

  test('tertiary-payment: an SVC01 without procedure code is reported; the claim balances', () => {
    const document = read(`${folder}/tertiary-payment.835`);

    expect(claim(document, '0001000054')).toMatchObject({
      statusCode: '3',
      chargeCents: 176_650,
      paidCents: 18_750,
    });
    expect(diagnosticsOf(document).map((d) => [d.code, d.element])).toEqual([
      ['MISSING_ELEMENT', 'SVC01-2'],
      ['SERVICE_LINE_UNBALANCED', 'SVC03'],
    ]);
  });

  test('managed-care: PR-1 deductibles equal CLP05; BPR16 2000-23-16 is not a date', () => {
    const document = read(`${folder}/managed-care.835`);

    expect(
      claimsOf(document).map((c) => [
        c.patientControlNumber,
        c.patientResponsibility.declaredCents,
        c.patientResponsibility.deductibleCents,
      ]),
    ).toEqual([
      ['5554555444', 30_000, 30_000],
      ['8765432112', 60_000, 60_000],
    ]);
    expect(document.transactions[0]?.payment?.date).toBeNull();
    expect(diagnosticsOf(document).map((d) => [d.code, d.element, d.found])).toEqual([
      ['INVALID_VALUE', 'BPR16', '20002316'],
    ]);
  });
});

describe.skipIf(!hasCorpus)('databricks-industry-solutions/x12-edi-parser', () => {
  const folder = 'databricks-industry-solutions__x12-edi-parser';
  const adjustmentsPerTransaction = (path: string) =>
    read(`${folder}/${path}`).transactions.map((t) => t.providerAdjustments.length);

  test('PLB stays with its transaction set: [3], [0], [0, 0, 6]', () => {
    expect(adjustmentsPerTransaction('plb_sample.txt')).toEqual([3]);
    expect(adjustmentsPerTransaction('no_plb_sample.txt')).toEqual([0]);
    expect(adjustmentsPerTransaction('sample.txt')).toEqual([0, 0, 6]);
    expect(
      claimsOf(read(`${folder}/plb_sample.txt`)).map((c) => c.patientControlNumber),
    ).toHaveLength(3);
  });

  test('plb_sample: reference ids with dots are kept whole', () => {
    const [transaction] = read(`${folder}/plb_sample.txt`).transactions;

    expect(
      transaction?.providerAdjustments.map((a) => [a.reason, a.reference, a.amountCents]),
    ).toEqual([
      ['72', '0202309NN08956B0X.5520NN142', -1_400],
      ['WO', '0202309NN08956B0X.5520NN142', 1_400],
      ['B2', '0202309NN08956B0X.5520NN142', -1_400],
    ]);
  });

  test('sample and sample_no_cas: three claims; claim adjustments of the latter: 0, 1, 2', () => {
    expect(claimsOf(read(`${folder}/sample.txt`))).toHaveLength(3);
    expect(claimsOf(read(`${folder}/sample_no_cas.txt`)).map((c) => c.adjustments.length)).toEqual([
      0, 1, 2,
    ]);
  });

  test('no_plb_sample and plb_sample together give six claims', () => {
    const claims = ['no_plb_sample.txt', 'plb_sample.txt'].flatMap((path) =>
      claimsOf(read(`${folder}/${path}`)),
    );

    expect(claims).toHaveLength(6);
  });

  test('sample_services: GE01 says 3 for one transaction set', () => {
    const document = read(`${folder}/sample_services.txt`);

    expect(document.diagnostics.map((d) => [d.code, d.found])).toContainEqual([
      'TRANSACTION_COUNT_MISMATCH',
      '3',
    ]);
    expect(claimsOf(document).map((c) => c.patientResponsibility.copayCents)).toEqual([500, 1_000]);
  });
});

describe.skipIf(!hasCorpus)('tastypackets/x12-parser', () => {
  const folder = 'tastypackets__x12-parser';

  test('profee: trimmed ISA values, delimiters, SVC01 composites, CAS values, counts', () => {
    const document = read(`${folder}/profee.edi`);
    const [transaction] = document.transactions;
    const lines = linesOf(document);

    expect(transaction?.interchange).toMatchObject({
      senderId: 'EMEDNYBAT',
      receiverId: 'ETIN',
      controlNumber: '006000600',
      delimiters: { element: '*', component: ':', repetition: '^', segment: '~' },
    });
    expect(transaction?.group?.controlNumber).toBe('6000600');
    expect(transaction?.controlNumber).toBe('1740');
    expect(lines.map((l) => [l.procedure.code, l.procedure.modifiers[0] ?? null])).toContainEqual([
      'V2020',
      'RB',
    ]);
    expect(lines.map((l) => [l.procedure.code, l.procedure.modifiers])).toContainEqual([
      'S0580',
      [],
    ]);
    expect(
      lines.flatMap((l) => l.adjustments.map((a) => [a.group, a.reason, a.amountCents])),
    ).toEqual([
      ['CO', '29', 1_200],
      ['CO', '29', 2_200],
      ['CO', '251', 275],
      ['CO', '251', 2_000],
    ]);
    expect(claimsOf(document).map((c) => c.patientResponsibility.declaredCents)).toEqual([
      null,
      null,
      null,
    ]);
    expect(diagnosticsOf(document)).toEqual([]);
  });

  test('profeeMultiple: twelve interchanges; oneLine-2-ISA: two, with a PR-142 claim', () => {
    const multiple = read(`${folder}/profeeMultiple.edi`);
    const twoInterchanges = read(`${folder}/oneLine-2-ISA.edi`);

    expect(new Set(multiple.transactions.map((t) => t.interchange))).toHaveProperty('size', 12);
    expect(claimsOf(multiple)).toHaveLength(36);
    expect(twoInterchanges.transactions).toHaveLength(2);
    expect(claimsOf(twoInterchanges).map((c) => c.patientResponsibility.otherCents)).toEqual([
      0, 80_500, 0, 80_500,
    ]);
  });

  test('multiLineNotDelimited: newline-terminated, 3,617 claims, SE01 says 31', () => {
    const document = read(`${folder}/multiLineNotDelimited.edi`);

    expect(document.transactions[0]?.interchange?.delimiters.segment).toBe('\n');
    expect(claimsOf(document)).toHaveLength(3_617);
    expect(codesOf(document)).toEqual(['SEGMENT_COUNT_MISMATCH']);
  });
});

describe.skipIf(!hasCorpus)('the other corpus files', () => {
  test('pyx12 835_simple (4010, CRLF): a reversal and its re-issue under the same CLP01', () => {
    const document = read('azoner__pyx12/835_simple.txt');

    expect(
      claimsOf(document).map((c) => [
        c.patientControlNumber,
        c.statusCode,
        c.chargeCents,
        c.paidCents,
      ]),
    ).toEqual([
      ['123839-24635', '22', -31_000, -21_000],
      ['123839-24635', '1', 30_000, 20_000],
      ['134158-27488', '22', -50_025, -50_025],
    ]);
    expect(document.transactions[0]?.interchange?.delimiters.repetition).toBeNull();
  });

  test('OopFactory Example1 (indented, CRLF): nine claims, two declaring unsupported PR', () => {
    const document = read('Inteligenz__X12Parser/Example1.txt');

    expect(claimsOf(document).map((c) => c.statusCode)).toEqual([
      '1',
      '4',
      '4',
      '2',
      '4',
      '1',
      '25',
      '22',
      '22',
    ]);
    expect(claim(document, '333333').patientResponsibility).toMatchObject({
      declaredCents: 1_492,
      coinsuranceCents: 1_492,
    });
    expect(
      diagnosticsOf(document)
        .filter((d) => d.code === 'PATIENT_RESPONSIBILITY_MISMATCH')
        .map((d) => d.found),
    ).toEqual(['2595 cents', '16213 cents']);
    expect(claim(document, '123456').serviceLines[0]?.units).toBe('-2');
  });

  test('danielslabo Sample_1.DON: no envelope, newline terminator, no newline at the end', () => {
    const document = read('danielslabo__835Parser/Sample_1.DON');

    expect(
      claimsOf(document).map((c) => [c.patientControlNumber, c.patientResponsibility.copayCents]),
    ).toEqual([
      ['ABC9001', 500],
      ['ABC9002', 1_000],
    ]);
    expect(document.transactions[0]?.providerAdjustments).toEqual([
      {
        providerId: '1215193883',
        fiscalPeriodDate: '2012-12-31',
        reason: '90',
        reference: null,
        amountCents: 395,
      },
    ]);
    expect(diagnosticsOf(document)).toEqual([]);
  });

  test('TigerShark sample_835 (junk values): problems reported, nothing read as a claim', () => {
    const document = read('slott56__TigerShark/sample_835.txt');

    expect(claimsOf(document)).toEqual([]);
    expect(codesOf(document)).toContain('INVALID_AMOUNT');
    expect(codesOf(document)).toContain('UNKNOWN_SEGMENT');
    expect(diagnosticsOf(document).filter((d) => d.element === 'CLP03')).toHaveLength(2);
  });
});
