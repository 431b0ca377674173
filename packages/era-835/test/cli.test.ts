import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { corpusFile, fieldCase, hasCorpus } from './support';

if (!hasCorpus) console.info('era835 CLI corpus test skipped: ../shared/corpus/era835 is absent');

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/field-cases/', import.meta.url));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI; `input` goes to its standard input, each piece after a pause when several. */
function era835(args: readonly string[], input?: Buffer | readonly Buffer[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--conditions=@memberpay/source', '--import', 'tsx', 'packages/era-835/src/cli.ts', ...args],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
    const pieces = input === undefined || Buffer.isBuffer(input) ? [input] : input;
    const write = (k: number) => {
      if (k === pieces.length - 1) child.stdin?.end(pieces[k]);
      else {
        child.stdin?.write(pieces[k] as Buffer);
        setTimeout(() => write(k + 1), 150);
      }
    };
    write(0);
  });
}

const scratch = mkdtempSync(join(tmpdir(), 'era835-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('era835 claims', () => {
  test('prints each claim payment as a JSON array with exactly the documented fields', async () => {
    const run = await era835(['claims', join(FIXTURES, 'BR-05b.txt')]);

    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual([
      {
        interchangeControlNumber: '000000101',
        transactionControlNumber: '0001',
        traceNumber: 'TRACE0001',
        payerIdentifier: '1512345678',
        patientControlNumber: 'PCN-1001',
        statusCode: '1',
        chargeCents: 20_000,
        paidCents: 8_000,
        payerClaimControlNumber: 'CLM0001',
        patientResponsibility: {
          declaredCents: 5_000,
          adjustmentCents: 5_000,
          deductibleCents: 3_000,
          coinsuranceCents: 2_000,
          copayCents: 0,
          otherCents: 0,
        },
      },
      {
        interchangeControlNumber: '000000102',
        transactionControlNumber: '0001',
        traceNumber: 'TRACE0002',
        payerIdentifier: '1512345678',
        patientControlNumber: 'PCN-1002',
        statusCode: '1',
        chargeCents: 12_000,
        paidCents: 9_000,
        payerClaimControlNumber: 'CLM0002',
        patientResponsibility: {
          declaredCents: 3_000,
          adjustmentCents: 3_000,
          deductibleCents: 0,
          coinsuranceCents: 0,
          copayCents: 3_000,
          otherCents: 0,
        },
      },
    ]);
  });

  test('writes warnings to standard error and still exits 0', async () => {
    const run = await era835(['claims', join(FIXTURES, 'BR-11.txt')]);

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).map((c: { declaredCents: unknown }) => c)).toHaveLength(2);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^era835: warning PATIENT_RESPONSIBILITY_MISMATCH: segment 19 \(CLP at byte \d+\): /,
      ),
    ]);
  });

  test('reads standard input for -', async () => {
    const run = await era835(['claims', '-'], fieldCase('T-1'));

    expect(run.code).toBe(0);
    expect(
      JSON.parse(run.stdout).map((c: { patientControlNumber: string }) => c.patientControlNumber),
    ).toEqual(['PCN-1001']);
  });

  test('prints an empty array for an 835 without claims', async () => {
    const file = join(scratch, 'no-claims.835');
    const t1 = fieldCase('T-1').toString('latin1');
    const withoutClaims = t1.slice(0, t1.indexOf('LX*')) + t1.slice(t1.indexOf('SE*'));
    writeFileSync(file, withoutClaims.replace('SE*17*', 'SE*10*').replace('BPR*I*80*', 'BPR*H*0*'));
    const run = await era835(['claims', file]);

    expect(run).toEqual({ code: 0, stdout: '[]\n', stderr: '' });
  });

  test.skipIf(!hasCorpus)('reads a corpus file of two transaction sets', async () => {
    const file = join(scratch, 'sample.835');
    writeFileSync(file, corpusFile('affect-therapeutics__edi-835-parser/sample_835.txt'));
    const run = await era835(['claims', file]);

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toHaveLength(6);
  });
});

describe('standard error closed early', () => {
  test('claims still writes every claim and exits 0 when its problems cannot be told', async () => {
    const t1 = fieldCase('T-1').toString('latin1');
    const damage = 'CAS*XX*1*1~'.repeat(300_000);
    const file = join(scratch, 'damaged.835');
    writeFileSync(file, t1.replace('CAS*CO*45*70~', `${damage}CAS*CO*45*70~`), 'latin1');

    const child = spawn(
      process.execPath,
      [
        '--conditions=@memberpay/source',
        '--import',
        'tsx',
        'packages/era-835/src/cli.ts',
        'claims',
        file,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    // The reader of standard error goes away after its first lines, as `2>&1 | head` does.
    child.stderr.once('data', () => child.stderr.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject([{ patientControlNumber: 'PCN-1001' }]);
  });
});

describe('era835 stats', () => {
  test('prints the totals as one JSON object', async () => {
    const run = await era835(['stats', join(FIXTURES, 'BR-05b.txt')]);

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      bytes: fieldCase('BR-05b').length,
      interchanges: 2,
      groups: 2,
      transactions: 2,
      claims: 2,
      serviceLines: 2,
      paidCents: 17_000,
      patientResponsibilityCents: 8_000,
      warnings: 0,
      errors: 0,
    });
  });

  test('reads standard input for -', async () => {
    const run = await era835(['stats', '-'], fieldCase('BR-11'));

    expect(JSON.parse(run.stdout)).toMatchObject({
      claims: 2,
      patientResponsibilityCents: 5_000,
      warnings: 1,
    });
  });

  test.each(['claims', 'stats'])(
    '%s reads standard input whole when it arrives in pieces, with pauses',
    async (command) => {
      const bytes = fieldCase('BR-11');
      const whole = await era835([command, '-'], bytes);
      const pieces = [bytes.subarray(0, 100), bytes.subarray(100, 300), bytes.subarray(300)];
      const paused = await era835([command, '-'], pieces);

      expect(paused).toEqual(whole);
      expect(whole.code).toBe(0);
      expect(whole.stdout).toContain(command === 'claims' ? '"paidCents"' : '"claims": 2');
    },
  );
});

describe('input that cannot be read as an 835', () => {
  test.each(['claims', 'stats'])(
    '%s exits 1 with one clear line and prints nothing',
    async (command) => {
      const file = join(scratch, 'letter.txt');
      writeFileSync(file, 'Dear provider,\nplease find the remittance attached.\n');
      const run = await era835([command, file]);

      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        `era835: ${file} is not an X12 835: byte 0: ` +
          'expected an ISA or ST segment, found "Dear provider, p"\n',
      );
    },
  );

  test('a missing file exits 1 with one line', async () => {
    const run = await era835(['stats', join(scratch, 'missing.835')]);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^era835: cannot read .*missing\.835: ENOENT[^\n]*\n$/);
  });

  test.each([
    [['parse', 'x.835'], 'unknown command "parse"'],
    [[], 'no command given'],
    [['stats'], 'stats needs a FILE (or - for standard input)'],
    [['claims', 'a.835', 'b.835'], 'claims takes one FILE, got 2'],
  ])('%j says what is wrong, prints the usage and exits 2', async (args, problem) => {
    const run = await era835(args);

    expect(run.code).toBe(2);
    const [first, second] = run.stderr.split('\n');
    expect(first).toBe(`era835: ${problem}`);
    expect(second).toMatch(/^usage: era835 claims FILE/);
  });

  test.each(['--help', '-h', 'help'])(
    '%s prints the usage to standard output and exits 0',
    async (flag) => {
      const run = await era835([flag]);

      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^usage: era835 claims FILE/);
      expect(run.stderr).toBe('');
    },
  );
});
