import { accessSync, constants } from 'node:fs';

/**
 * Finds a server binary from Debian's packages. Missing on a developer's machine: the suite says
 * so loudly and skips; under CI=true a missing server fails the run (`.ci/run` installs them).
 */
export function requireBinary(path: string, debianPackage: string): { available: boolean } {
  try {
    accessSync(path, constants.X_OK);
    return { available: true };
  } catch {
    const message = `${path} is missing: install Debian's ${debianPackage} (apt-get install -y --no-install-recommends ${debianPackage}) to run these specs.`;
    if (process.env.CI === 'true') throw new Error(`CI: ${message}`);
    console.warn(`SKIPPED: ${message}`);
    return { available: false };
  }
}

/** `describe`, or `describe.skip` when the binary is missing (outside CI). */
export function describeWithBinary(path: string, debianPackage: string) {
  return requireBinary(path, debianPackage).available ? describe : describe.skip;
}
