/** The queues workers consume; `WORKER_QUEUES` picks among them. */
export const QueueName = {
  System: 'system',
  Push: 'push',
  Sync: 'sync',
  Reconcile: 'reconcile',
  Events: 'events',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];
export const ALL_QUEUES: readonly QueueName[] = Object.values(QueueName);
