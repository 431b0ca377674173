import { userInfo } from 'node:os';

/** Small helpers shared by the benchmark scripts. Benchmarks print; they never assert. */

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function printTable(
  title: string,
  rows: ReadonlyArray<Record<string, string | number>>,
): void {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => String(row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, index) => cell.padEnd(widths[index] as number)).join(' | ')} |`;

  console.log(`\n${title}`);
  console.log(line(columns));
  console.log(line(widths.map((width) => '-'.repeat(width))));
  for (const row of rows) {
    console.log(line(columns.map((column) => String(row[column] ?? ''))));
  }
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Rate per second, as a whole number, for people. */
export function perSecond(count: number, ms: number): number {
  return Math.round((count * 1000) / ms);
}

/**
 * node-postgres takes the user from the URL, PGUSER or USER; a shell without USER (a container
 * running as root) would otherwise send no user name at all.
 */
export function withUser(text: string): string {
  const url = new URL(text);
  if (!url.username && !process.env.PGUSER && !process.env.USER) {
    url.username = userInfo().username;
  }

  return url.toString();
}

/** The URL without its password, for printing. */
export function shown(text: string): string {
  const url = new URL(text);
  url.password = '';
  return url.toString();
}
