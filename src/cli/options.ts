/**
 * Parsers and checks of command-line values shared by the commands: each rejects a bad value
 * before any work starts, naming the option and what was given.
 */
import { readFileSync } from "node:fs";
import { InvalidArgumentError } from "commander";
import { UsageError } from "./exit.js";

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidArgumentError(
      `expected a positive whole number, got ${JSON.stringify(value)}`,
    );
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError(`expected a number of 0 or more, got ${JSON.stringify(value)}`);
  }
  return n;
}

export function wholeNumber(value: string): number {
  const n = nonNegativeNumber(value);
  if (!Number.isInteger(n)) {
    throw new InvalidArgumentError(`expected a whole number, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** One of a closed list of values (`--format`, `--view`...), or a usage error naming `flag`. */
export function choice<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(
      `unknown ${flag} ${JSON.stringify(value)}; use one of ${allowed.join(", ")}`,
    );
  }
  return value as T;
}

/** The text of a file an option names (`--scp`, `--organization`), or a usage error saying why not. */
export function readOptionFile(option: string, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`${option} ${file}: ${(e as Error).message}`);
  }
}
