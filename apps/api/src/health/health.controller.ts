import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import type { HttpReply } from '../common/http';
import { Public } from '../auth/auth.decorators';
import { ReadinessService } from './readiness.service';

/** Liveness and readiness for orchestrators; the only unauthenticated routes. */
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly readiness: ReadinessService) {}

  @Get('live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(@Res({ passthrough: true }) res: HttpReply) {
    const result = await this.readiness.check();
    res.status(result.ready ? 200 : 503);
    return { status: result.ready ? 'ok' : 'unavailable', checks: result.checks };
  }
}
