export * from './push-persistence.module';
