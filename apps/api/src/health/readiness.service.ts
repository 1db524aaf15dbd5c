import { Injectable } from '@nestjs/common';
import { PrismaService } from '@hub/persistence';
import { RedisProbe } from '@hub/queue';

export interface Readiness {
  ready: boolean;
  checks: { postgres: CheckResult; redis: CheckResult };
}
interface CheckResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

const CHECK_TIMEOUT_MS = 2000;

@Injectable()
export class ReadinessService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly redisProbe: RedisProbe,
  ) {}

  async check(): Promise<Readiness> {
    const [postgres, redis] = await Promise.all([
      timed(() => this.prisma.$queryRaw`SELECT 1`),
      timed(() => this.redisProbe.ping()),
    ]);
    return { ready: postgres.ok && redis.ok, checks: { postgres, redis } };
  }
}

async function timed(probe: () => Promise<unknown>): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        );
      }),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    // The message only: driver errors can embed connection strings.
    const message = (error as Error).message.replace(/\/\/[^@\s]*@/g, '//***@');
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: message };
  } finally {
    clearTimeout(timer);
  }
}
