import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiClientAuthenticator } from './api-client-authenticator.service';
import { AuthGuard } from './auth.guard';

@Module({
  providers: [ApiClientAuthenticator, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [ApiClientAuthenticator],
})
export class AuthModule {}
