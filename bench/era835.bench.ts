/**
 * The era835 benchmark: each contender runs as a whole process on the same 100 MB file made
 * by gen835, several times; the table gives the median wall time, the throughput and the
 * largest peak resident set size. The bare byte scanner is the yardstick the parser's
 * targets are stated against.
 *
 *   node --conditions=@memberpay/source --import tsx bench/era835.bench.ts
 *     [--runs N] [--comparison-runs N] [--size 100M]
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'tsup';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SHARED = join(ROOT, '../shared');
const GENERATOR = join(SHARED, 'tools/gen835.mjs');
const WORK = join(ROOT, '.bench');
const BIN = join(WORK, 'bin');
const PACKAGE = join(ROOT, 'packages/era-835');

export interface Era835BenchOptions {
  /** Runs of the scanner and of the era835 contenders; the median counts. */
  readonly runs?: number;
  /** Runs of node-x12 and x12-parser, which take minutes on 100 MB; 0 leaves them out. */
  readonly comparisonRuns?: number;
  /** Size of the generated file, as gen835 reads it (`100M`). */
  readonly size?: string;
  readonly log?: (line: string) => void;
}

export interface Era835BenchRow {
  readonly contender: string;
  readonly medianSeconds: number | null;
  readonly megabytesPerSecond: number | null;
  readonly peakRssMiB: number | null;
  readonly timesScanner: number | null;
  /** What the contender printed: segments for the scanner, claims for the others. */
  readonly output: string;
}

interface Contender {
  readonly name: string;
  readonly args: (file: string) => string[];
  readonly comparison: boolean;
}

const CONTENDERS: readonly Contender[] = [
  {
    name: 'bare byte scanner',
    args: (file) => [join(BIN, 'era835-scanner.cjs'), file],
    comparison: false,
  },
  {
    name: 'era835 stats',
    args: (file) => [join(PACKAGE, 'dist/cli.js'), 'stats', file],
    comparison: false,
  },
  {
    name: 'era835 typed claims',
    args: (file) => [join(BIN, 'era835-claims.cjs'), file],
    comparison: false,
  },
  {
    name: 'x12-parser',
    args: (file) => [join(BIN, 'era835-x12-parser.cjs'), file],
    comparison: true,
  },
  {
    name: 'node-x12',
    // It holds the whole document in memory, far past Node's default heap limit.
    args: (file) => ['--max-old-space-size=16384', join(BIN, 'era835-node-x12.cjs'), file],
    comparison: true,
  },
];

interface Measurement {
  readonly seconds: number;
  readonly peakRssKiB: number;
  readonly output: string;
  readonly failed: string | null;
}

export async function runEra835Bench(options: Era835BenchOptions = {}): Promise<Era835BenchRow[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const runs = options.runs ?? 5;
  const comparisonRuns = options.comparisonRuns ?? 3;
  const size = options.size ?? '100M';

  const file = join(WORK, `era835-${size}.835`);
  if (!existsSync(file) && !existsSync(GENERATOR)) {
    log('era835 benchmark skipped: ../shared (the gen835 generator) is absent');
    return [];
  }
  mkdirSync(WORK, { recursive: true });
  if (!existsSync(file)) {
    log(`generating ${file} with gen835 --size ${size} ...`);
    run(process.execPath, [GENERATOR, '--size', size, '--out', file]);
  }
  await prepareContenders(log);

  const bytes = statSync(file).size;
  const samples = new Map<string, Measurement[]>(CONTENDERS.map((c) => [c.name, []]));
  for (let round = 0; round < Math.max(runs, comparisonRuns); round++) {
    for (const contender of CONTENDERS) {
      const wanted = contender.comparison ? comparisonRuns : runs;
      if (round >= wanted) continue;
      const measurement = await measure(contender.args(file));
      samples.get(contender.name)?.push(measurement);
      log(
        `  ${contender.name}, run ${round + 1}/${wanted}: ` +
          (measurement.failed ??
            `${measurement.seconds.toFixed(2)} s, ${mib(measurement.peakRssKiB)} MiB`),
      );
    }
  }

  const rows = summarize(samples, bytes);
  log('');
  log(
    `era835 benchmark on ${file} (${(bytes / 1e6).toFixed(1)} MB), whole processes, ` +
      `median of ${runs} runs (${comparisonRuns} for the comparison parsers)`,
  );
  log(table(rows));
  log('');
  for (const line of verdicts(rows)) log(line);
  return rows;
}

function summarize(samples: ReadonlyMap<string, Measurement[]>, bytes: number): Era835BenchRow[] {
  const medians = new Map<string, number | null>();
  for (const [name, measurements] of samples) {
    const times = measurements.filter((m) => m.failed === null).map((m) => m.seconds);
    medians.set(
      name,
      times.length === measurements.length && times.length > 0 ? median(times) : null,
    );
  }
  const scanner = medians.get('bare byte scanner') ?? null;

  return CONTENDERS.map(({ name }) => {
    const measurements = samples.get(name) ?? [];
    const seconds = medians.get(name) ?? null;
    const failure = measurements.find((m) => m.failed !== null)?.failed;
    return {
      contender: name,
      medianSeconds: seconds,
      megabytesPerSecond: seconds === null ? null : bytes / 1e6 / seconds,
      peakRssMiB:
        measurements.length === 0
          ? null
          : Math.max(...measurements.map((m) => m.peakRssKiB)) / 1024,
      timesScanner: seconds === null || scanner === null ? null : seconds / scanner,
      output: measurements.length === 0 ? 'not run' : (failure ?? measurements[0]?.output ?? ''),
    };
  });
}

function table(rows: readonly Era835BenchRow[]): string {
  const header = ['contender', 'median s', 'MB/s', 'peak RSS MiB', 'x scanner', 'output'];
  const body = rows.map((row) => [
    row.contender,
    fixed(row.medianSeconds, 2),
    fixed(row.megabytesPerSecond, 0),
    fixed(row.peakRssMiB, 0),
    row.timesScanner === null ? '-' : `${row.timesScanner.toFixed(2)}x`,
    row.output,
  ]);
  const widths = header.map((title, k) =>
    Math.max(title.length, ...body.map((cells) => (cells[k] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, k) =>
        k === 0 || k === 5 ? cell.padEnd(widths[k] ?? 0) : cell.padStart(widths[k] ?? 0),
      )
      .join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** The targets the parser is held to, each with what was measured. */
function verdicts(rows: readonly Era835BenchRow[]): string[] {
  const stats = rows.find((row) => row.contender === 'era835 stats');
  const typed = rows.find((row) => row.contender === 'era835 typed claims');
  const check = (ok: boolean, text: string) => `${ok ? 'met    ' : 'NOT MET'}  ${text}`;
  const at = (row: Era835BenchRow | undefined) => row?.megabytesPerSecond ?? 0;
  const times = (row: Era835BenchRow | undefined) => row?.timesScanner ?? Number.POSITIVE_INFINITY;
  return [
    check(at(stats) >= 200, `era835 stats at least 200 MB/s: ${at(stats).toFixed(0)} MB/s`),
    check(
      times(stats) <= 1.5,
      `era835 stats within 1.5x of the scanner: ${times(stats).toFixed(2)}x`,
    ),
    check(
      (stats?.peakRssMiB ?? Number.POSITIVE_INFINITY) <= 64,
      `era835 stats peak RSS at most 64 MiB: ${fixed(stats?.peakRssMiB ?? null, 0)} MiB`,
    ),
    check(at(typed) >= 100, `typed claims at least 100 MB/s: ${at(typed).toFixed(0)} MB/s`),
    check(times(typed) <= 3, `typed claims within 3x of the scanner: ${times(typed).toFixed(2)}x`),
  ];
}

/** Bundles the contender scripts so that each runs as plain Node, and builds era835 if stale. */
async function prepareContenders(log: (line: string) => void): Promise<void> {
  await build({
    entry: {
      'era835-scanner': join(ROOT, 'bench/era835-scanner.ts'),
      'era835-claims': join(ROOT, 'bench/era835-claims.ts'),
      'era835-x12-parser': join(ROOT, 'bench/era835-x12-parser.ts'),
      'era835-node-x12': join(ROOT, 'bench/era835-node-x12.ts'),
      'era835-peak': join(ROOT, 'bench/era835-peak.ts'),
    },
    outDir: BIN,
    format: ['cjs'],
    platform: 'node',
    target: 'node20',
    noExternal: [/./],
    config: false,
    silent: true,
    dts: false,
    sourcemap: false,
  });

  const cli = join(PACKAGE, 'dist/cli.js');
  if (!existsSync(cli) || newestSource(join(PACKAGE, 'src')) > statSync(cli).mtimeMs) {
    log('building @memberpay/era-835 ...');
    run('pnpm', ['--filter', '@memberpay/era-835', 'build']);
  }
}

function newestSource(folder: string): number {
  return Math.max(
    ...readdirSync(folder, { withFileTypes: true }).map((entry) =>
      entry.isDirectory()
        ? newestSource(join(folder, entry.name))
        : statSync(join(folder, entry.name)).mtimeMs,
    ),
  );
}

function measure(args: readonly string[]): Promise<Measurement> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--require', join(BIN, 'era835-peak.cjs'), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    const streams = [child.stdout, child.stderr, child.stdio[3] as Readable | null];
    const texts = ['', '', ''];
    streams.forEach((stream, k) => {
      stream?.setEncoding('utf8');
      stream?.on('data', (data: string) => {
        texts[k] += data;
      });
    });
    child.on('close', (code, signal) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const [stdout = '', stderr = '', peak = ''] = texts;
      const peakRssKiB = peak === '' ? 0 : (JSON.parse(peak) as { maxRssKiB: number }).maxRssKiB;
      const failed =
        code === 0
          ? null
          : `failed (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n').pop() ?? ''}`;
      resolve({ seconds, peakRssKiB, output: summarizeOutput(stdout), failed });
    });
  });
}

function summarizeOutput(stdout: string): string {
  const text = stdout.trim();
  if (!text.startsWith('{')) return text;
  const stats = JSON.parse(text) as { claims: number; warnings: number; errors: number };
  return `${stats.claims} (${stats.warnings} warnings, ${stats.errors} errors)`;
}

function run(command: string, args: readonly string[]): void {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed`);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function mib(kib: number): string {
  return (kib / 1024).toFixed(0);
}

function fixed(value: number | null, digits: number): string {
  return value === null ? '-' : value.toFixed(digits);
}

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const runs = option('--runs');
  const comparisonRuns = option('--comparison-runs');
  await runEra835Bench({
    runs: runs === undefined ? undefined : Number(runs),
    comparisonRuns: comparisonRuns === undefined ? undefined : Number(comparisonRuns),
    size: option('--size'),
  });
}
