import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { freePort } from './free-port';

export interface RedisServerOptions {
  /** Where the append-only file lives; omit for a memory-only server (tests). */
  dataDir?: string;
  port?: number;
  onLog?: (line: string) => void;
}

export interface RunningRedis {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export const REDIS_INSTALL_HINT =
  'redis-server is not installed. On Debian/Ubuntu: `sudo apt-get install -y redis-server` ' +
  '(npm start does this itself when run as root); on macOS: `brew install redis`; ' +
  'or set REDIS_URL to an existing Redis.';

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Starts a private redis-server bound to loopback and resolves once it accepts connections. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RunningRedis> {
  if (!redisServerAvailable()) throw new Error(REDIS_INSTALL_HINT);
  const port = options.port ?? (await freePort());
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'yes', '--save', ''];
  if (options.dataDir) {
    await fs.mkdir(options.dataDir, { recursive: true });
    args.push('--dir', path.resolve(options.dataDir), '--appendonly', 'yes');
  } else {
    args.push('--appendonly', 'no');
  }
  // BullMQ requires that Redis never evicts its keys.
  args.push('--maxmemory-policy', 'noeviction');
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = options.onLog ?? (() => undefined);
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output += text;
      log(text.trimEnd());
      if (text.includes('Ready to accept connections')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`redis-server exited with code ${code}: ${output.slice(-2000)}`)),
    );
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    process: child,
    stop: () => stopChild(child),
  };
}

export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
