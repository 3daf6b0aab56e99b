// Tells the sync-server that a partner's profile changed (availability toggle), so the admin
// board's partner list follows at once. Best effort: the sync-server also re-reads partners on
// a timer, so a missed call only delays the board.
export interface PartnerNotifier {
	partnerChanged(partnerId: string): Promise<void>;
}

export function createPartnerNotifier(options: {
	baseUrl: string;
	secret: string;
	timeoutMs?: number;
}): PartnerNotifier {
	const base = options.baseUrl.replace(/\/+$/, '');
	return {
		async partnerChanged(partnerId) {
			const response = await fetch(`${base}/internal/partners/${encodeURIComponent(partnerId)}`, {
				method: 'POST',
				headers: { authorization: `Bearer ${options.secret}`, 'content-type': 'application/json' },
				body: '{}',
				signal: AbortSignal.timeout(options.timeoutMs ?? 3_000)
			});
			await response.body?.cancel();
			if (!response.ok) throw new Error(`sync-server answered ${response.status}`);
		}
	};
}
