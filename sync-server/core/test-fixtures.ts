// For the core's unit tests: a logger that says nothing and limits that stay out of the way.
import type { Logger, SyncLimits } from './types.ts';

export const quietLogger: Logger = {
	debug: () => undefined,
	info: () => undefined,
	warn: () => undefined,
	error: () => undefined
};

/** Generous limits, with `overrides` for what a test is about. */
export function testLimits(overrides: Partial<SyncLimits> = {}): SyncLimits {
	return {
		maxMessageBytes: 1_000_000,
		maxDocumentBytes: 1_000_000,
		messagesPerSecond: 100,
		messageBurst: 100,
		maxBufferedBytes: 1_000_000,
		maxAwarenessClientsPerConnection: 4,
		maxAwarenessStateBytes: 2048,
		awarenessBytesPerSecond: 8192,
		authConcurrency: 4,
		loadConcurrency: 4,
		maxPendingUpgrades: 100,
		loadTimeoutMs: 1_000,
		idleUnloadMs: 60_000,
		pingIntervalMs: 30_000,
		listenBacklog: 511,
		relay: 'accepted',
		...overrides
	};
}
