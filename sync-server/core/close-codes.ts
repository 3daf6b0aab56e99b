// WebSocket close codes the sync-server uses, so every client can react the same way.
// 1000–1015 are RFC 6455 codes; 4000–4999 are private. y-websocket v3 treats 4400–4499 as
// permanent (it stops reconnecting) and everything else as transient.
export const CloseCode = {
	/** The server is shutting down; reconnect later. */
	goingAway: 1001,
	/** A frame that is not a valid y-protocols message. */
	protocolError: 1002,
	/** A message type this server does not accept (e.g. auth messages from a client). */
	unsupportedData: 1003,
	/** Policy violation that a reconnect may cure: the rate limit, too many awareness clients. */
	policyViolation: 1008,
	/** A frame larger than the maximum message size. */
	messageTooBig: 1009,
	/** An unexpected server error while handling this socket's message. */
	internalError: 1011,
	/** The client reads too slowly, or the document became unavailable; reconnect and resync. */
	tryAgainLater: 1013,
	/** The session behind this socket was logged out, deleted or expired. Do not reconnect. */
	sessionEnded: 4401,
	/**
	 * A write the server will not take (forbidden, or written on an older state of the order). The
	 * client's copy holds it and would send it again on every reconnect, so this is final: a stock
	 * client stops with the reason; Dispatch's client drops its copy, syncs afresh and re-applies
	 * those of its own pending events that are still admitted (src/lib/sync/rebase.ts).
	 */
	writeRefused: 4403,
	/** The write would take the document over its size limit; final, like `writeRefused`. */
	documentTooLarge: 4413
} as const;

/**
 * Why a socket or upgrade was refused; used as the `reason` label of the rejections metric, so it
 * must come from this fixed set (free text goes to the log line instead).
 */
export type RejectionKind =
	| 'unauthenticated'
	| 'forbidden_origin'
	| 'forbidden_room'
	| 'invalid_room'
	| 'room_quota'
	| 'connection_quota'
	| 'server_busy'
	| 'document_unavailable'
	| 'write_rejected'
	| 'rate_limit'
	| 'message_too_large'
	| 'document_too_large'
	| 'malformed_message'
	| 'unsupported_message'
	| 'awareness_rejected'
	| 'slow_consumer'
	| 'session_ended'
	| 'keepalive_timeout';
