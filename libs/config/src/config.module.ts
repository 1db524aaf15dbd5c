import { Global, Module, type DynamicModule } from '@nestjs/common';
import { HUB_CONFIG, type HubConfig } from './hub-config';

/** Provides the configuration validated once at boot (see loadConfig) to every module. */
@Global()
@Module({})
export class HubConfigModule {
  static forRoot(config: HubConfig): DynamicModule {
    return {
      module: HubConfigModule,
      providers: [{ provide: HUB_CONFIG, useValue: config }],
      exports: [HUB_CONFIG],
    };
  }
}
