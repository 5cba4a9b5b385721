import { Command, CommanderError } from 'commander';
import { exitCodeFor, isVigilError } from '../core/errors.ts';
import { VERSION } from './version.ts';

/**
 * Each command's module, loaded only when it runs: `vigil sbom` on a warm cache answers in a few
 * hundred milliseconds, most of it module loading, so it should not also load the matcher, the
 * vulnerability DB and SQLite that only `scan` and `db` use.
 */
const commands: Readonly<Record<string, () => Promise<Command>>> = {
  sbom: async () => (await import('./sbom.ts')).sbomCommand(),
  scan: async () => (await import('./scan.ts')).scanCommand(),
  db: async () => (await import('./db.ts')).dbCommand(),
  token: async () => (await import('./token.ts')).tokenCommand(),
  serve: async () => (await import('./serve.ts')).serveCommand(),
  worker: async () => (await import('./worker.ts')).workerCommand(),
};

/** The CLI is a thin shell: parse flags, call the library, print. `only` loads one command. */
export async function createProgram(only?: string): Promise<Command> {
  const program = new Command('vigil')
    .description('Container-image vulnerability scanner and watchdog')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  const names = only !== undefined && Object.hasOwn(commands, only) ? [only] : Object.keys(commands);
  for (const name of names) program.addCommand(await (commands[name] as () => Promise<Command>)());
  for (const command of program.commands) inheritErrorHandling(command);
  return program;
}

/**
 * addCommand() does not pass exitOverride on (only .command() does), and without it a usage error in
 * a subcommand would exit 1, the code reserved for findings over --fail-on.
 */
function inheritErrorHandling(command: Command): void {
  command.exitOverride().showHelpAfterError();
  for (const sub of command.commands) inheritErrorHandling(sub);
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    const program = await createProgram(argv[0]);
    await program.parseAsync(argv as string[], { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed help or the usage error
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    process.stderr.write(`vigil: ${describe(err)}\n`);
    return exitCodeFor(err);
  }
}

function describe(err: unknown): string {
  if (isVigilError(err)) return `${err.message} (${err.code})`;
  if (err instanceof Error) return `internal error: ${err.stack ?? err.message}`;
  return `internal error: ${String(err)}`;
}
