import { Global, Module } from '@nestjs/common';
import { HUB_CONFIG, type HubConfig } from '@hub/config';
import { SecretBox } from './secret-box';

@Global()
@Module({
  providers: [
    {
      provide: SecretBox,
      inject: [HUB_CONFIG],
      useFactory: (config: HubConfig) => new SecretBox(config.secretsKey),
    },
  ],
  exports: [SecretBox],
})
export class SecretsModule {}
