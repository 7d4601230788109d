// The `authso` command line: builds the program from one registration function per area and
// runs it. Errors are one line on stderr and a non-zero exit status, never a stack trace.
// To add a command area, write `registerX(program: Command)` and add it to COMMANDS.

import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { DirectoryError } from '../directory/errors.js';
import { KeytabError } from '../kerberos/keytab.js';
import { registerComputer } from './computer.js';
import { registerDc } from './dc.js';
import { registerDemo } from './demo.js';
import { registerGroup } from './group.js';
import { registerHttp } from './http.js';
import { registerJoin } from './join.js';
import { registerKeytab } from './keytab.js';
import { registerKrb5Conf } from './krb5conf.js';
import { registerProvision } from './provision.js';
import { registerSpn } from './spn.js';
import { registerUser } from './user.js';
import { CliError } from './util.js';

type Register = (program: Command) => void;

/** The command areas, in help order. */
const COMMANDS: Register[] = [
  registerProvision,
  registerUser,
  registerGroup,
  registerComputer,
  registerJoin,
  registerSpn,
  registerKeytab,
  registerKrb5Conf,
  registerDc,
  registerHttp,
  registerDemo,
];

function packageVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'authso' && pkg.version) return pkg.version;
    } catch {
      // try the next location (sources vs. dist/)
    }
  }
  return '0.0.0';
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

export function buildProgram(): Command {
  const program = new Command('authso');
  program
    .description('Windows authentication services (Kerberos KDC with MS-PAC, ...) — domain administration')
    .version(packageVersion(), '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`${oneLine(str)}\n`) });
  for (const register of COMMANDS) register(program);
  return program;
}

/**
 * Runs the command line `argv` (the user arguments, i.e. process.argv.slice(2)) and returns
 * the exit status.
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode; // commander printed its one-line message (or help)
    const prefix = 'authso: ';
    if (e instanceof CliError) {
      process.stderr.write(`${prefix}${oneLine(e.message)}\n`);
      return e.exitCode;
    }
    if (e instanceof DirectoryError || e instanceof KeytabError) {
      process.stderr.write(`${prefix}${oneLine(e.message)}\n`);
      return 1;
    }
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string' && typeof err.message === 'string') {
      // System errors (EACCES, ENOENT, SQLITE_*): the message names the file or the cause.
      process.stderr.write(`${prefix}${oneLine(err.message)}\n`);
      return 1;
    }
    process.stderr.write(`${prefix}internal error: ${oneLine(e instanceof Error ? e.message : String(e))}\n`);
    return 70; // EX_SOFTWARE
  }
}
