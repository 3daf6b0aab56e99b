// An order document's whole state for a page's first render (see src/lib/order/state.ts), from
// the sync-server's service channel. A page must not wait long for it: after RENDER_WAIT_MS, or if
// the sync-server cannot be asked, the page renders from the index row as before (null here).
import type { OrderServiceContext } from './types.ts';

const RENDER_WAIT_MS = 1_500;

export async function renderedOrderState(
	service: Pick<OrderServiceContext, 'sync' | 'log'>,
	orderId: string
): Promise<string | null> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const late = new Promise<null>((resolve) => {
		timer = setTimeout(() => resolve(null), RENDER_WAIT_MS);
	});
	const read = service.sync.readOrderState(orderId).catch((error: unknown) => {
		service.log.warn({ err: error, orderId }, 'order page rendered without the document');
		return null;
	});
	try {
		return await Promise.race([read, late]);
	} finally {
		clearTimeout(timer);
	}
}
