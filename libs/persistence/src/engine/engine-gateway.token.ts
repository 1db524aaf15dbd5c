/**
 * The aggregation engine's InboundWriteGateway (provided by libs/aggregation's global module).
 * ScimPersistenceModule binds INBOUND_WRITE_GATEWAY to it, so persistence never imports the
 * aggregation library (dependencies point one way).
 */
export const ENGINE_WRITE_GATEWAY = Symbol('ENGINE_WRITE_GATEWAY');
