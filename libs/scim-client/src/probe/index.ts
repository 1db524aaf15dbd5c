export * from './probe.types';
export {
  runDialectProbe,
  httpProbeTransport,
  type DialectProbeOptions,
  type ProbeAdvertised,
  type ProbeTransport,
} from './probe-runner';
export { deriveDialect, type ProbeResponse } from './probe-judgements';
