import fs from 'node:fs';
import path from 'node:path';

/**
 * Writes where the running embedded hub's databases are, for the operator CLI
 * (`npm run hub -- …`), which reads it when DATABASE_URL is not set. Local only (mode 0600).
 */
export function writeHubEnv(dataDir: string, vars: Record<string, string>): void {
  const text = Object.entries(vars)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
  fs.writeFileSync(path.join(dataDir, 'hub.env'), text + '\n', { mode: 0o600 });
}
