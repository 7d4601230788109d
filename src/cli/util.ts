// Shared helpers of the `authso` commands: the data directory, one-line failures, reading
// passwords (never from argv), and opening the directory for one command.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { Directory } from '../directory/directory.js';

/** A failure to report as one line on stderr (exit status 1), without a stack trace. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

export function fail(message: string, exitCode = 1): never {
  throw new CliError(message, exitCode);
}

/** Adds the `--data-dir DIR` option every directory command takes. */
export function addDataDirOption(cmd: Command): Command {
  return cmd.option('--data-dir <dir>', 'data directory (default: $AUTHSO_DATA_DIR)');
}

/** The data directory from --data-dir or AUTHSO_DATA_DIR. */
export function dataDirOption(value: string | undefined): string {
  const dir = value ?? process.env.AUTHSO_DATA_DIR;
  if (dir === undefined || dir === '') fail('no data directory: pass --data-dir DIR or set AUTHSO_DATA_DIR');
  return dir;
}

/**
 * Opens the directory of `dataDir`, runs `fn`, and closes it (also on failure). Only
 * `provision` creates a data directory; other commands fail when there is none.
 */
export async function withDirectory<T>(
  dataDir: string | undefined,
  fn: (d: Directory) => Promise<T>,
  opts: { create?: boolean } = {},
): Promise<T> {
  const dir = dataDirOption(dataDir);
  if (!opts.create && !existsSync(join(dir, 'authso.db'))) fail(`no domain in ${dir} (run: authso provision --data-dir ${dir} ...)`);
  const directory = await Directory.openSqlite(dir);
  try {
    return await fn(directory);
  } finally {
    await directory.close();
  }
}

const MAX_PASSWORD_INPUT = 4096;

function firstLine(s: string): string {
  const nl = s.search(/\r?\n/);
  return nl < 0 ? s : s.slice(0, nl);
}

/** The first line of a file (a trailing newline is not part of the password). */
export function readPasswordFile(path: string): string {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    fail(`cannot read password file ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (!st.isFile() && !st.isFIFO()) fail(`password file ${path} is not a regular file`);
  if (st.size > MAX_PASSWORD_INPUT) fail(`password file ${path} is larger than ${MAX_PASSWORD_INPUT} bytes`);
  const line = firstLine(readFileSync(path, 'utf8'));
  if (line === '') fail(`password file ${path} is empty`);
  return line;
}

/** Reads one line from a non-TTY stdin, stopping at the first newline (or end of input). */
function readLineFromPipe(): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let buf = '';
    const done = (err?: Error) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onError);
      stdin.pause();
      if (err) reject(err);
      else resolve(firstLine(buf));
    };
    const onData = (chunk: Buffer | string) => {
      buf += chunk.toString();
      if (/\r?\n/.test(buf)) done();
      else if (buf.length > MAX_PASSWORD_INPUT) done(new CliError(`the password on stdin is longer than ${MAX_PASSWORD_INPUT} bytes`));
    };
    const onEnd = () => done();
    const onError = (e: Error) => done(new CliError(`cannot read stdin: ${e.message}`));
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.once('error', onError);
    stdin.resume();
  });
}

/** Prompts on stderr and reads a line from the terminal without echo. */
function readLineFromTty(prompt: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let value = '';
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    const finish = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new CliError('cancelled', 130)); // Ctrl-C
        if (ch === '\u0004') return value === '' ? finish(new CliError('cancelled', 130)) : finish(); // Ctrl-D
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch === '\u0015') value = ''; // Ctrl-U
        else if (ch >= ' ') value += ch;
        if (value.length > MAX_PASSWORD_INPUT) return finish(new CliError('password too long'));
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

/** One line from stdin: prompted without echo on a terminal, else the first line of the input. */
export async function readPasswordStdin(prompt = 'Password: '): Promise<string> {
  const line = process.stdin.isTTY ? await readLineFromTty(prompt) : await readLineFromPipe();
  if (line === '') fail('empty password on stdin');
  return line;
}

export interface PasswordOptions {
  passwordFile?: string;
  passwordStdin?: boolean;
}

/** The password from --password-file or --password-stdin; undefined when neither is given and it is optional. */
export async function readPassword(o: PasswordOptions, required: boolean, prompt?: string): Promise<string | undefined> {
  if (o.passwordFile !== undefined && o.passwordStdin) fail('give either --password-file or --password-stdin, not both');
  if (o.passwordFile !== undefined) return readPasswordFile(o.passwordFile);
  if (o.passwordStdin) return readPasswordStdin(prompt);
  if (required) fail('a password is required: --password-file FILE or --password-stdin (passwords are never taken from the command line)');
  return undefined;
}

/** Adds --password-file / --password-stdin to a command. */
export function addPasswordOptions(cmd: Command): Command {
  return cmd
    .option('--password-file <file>', 'read the password from the first line of FILE')
    .option('--password-stdin', 'read the password from one line of stdin (prompted without echo on a terminal)');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function println(line = ''): void {
  process.stdout.write(`${line}\n`);
}
