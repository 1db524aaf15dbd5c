import fs from 'node:fs';
import path from 'node:path';
import {
  startSlapd as startEmbeddedSlapd,
  type RunningSlapd,
  type SlapdOptions,
} from '../../libs/embedded/src';

export { freePort, PLANET_EXPRESS, type RunningSlapd, type SlapdTls } from '../../libs/embedded/src';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'ldap', 'planetexpress');

/**
 * A private slapd for tests (see libs/embedded/src/slapd.ts), loaded with the Planet Express
 * fixture unless `planetExpress: false`.
 */
export function startSlapd(
  options: Omit<SlapdOptions, 'initialLdif'> & { planetExpress?: boolean } = {},
): Promise<RunningSlapd> {
  const { planetExpress = true, ...rest } = options;
  return startEmbeddedSlapd({ ...rest, ...(planetExpress ? { initialLdif: planetExpressLdif() } : {}) });
}

/** The fixture files in load order (00_people first, then by name). */
export function planetExpressLdif(): string {
  return fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.ldif'))
    .sort()
    .map((f) => fs.readFileSync(path.join(FIXTURES, f), 'utf8').trim())
    .join('\n\n')
    .concat('\n');
}
