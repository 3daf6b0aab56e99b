// Every answer of a sync-server process names the process (`x-sync-process`): plain HTTP
// responses, accepted WebSocket upgrades and refused ones. Behind nginx this is how one tells
// which process a document's sockets landed on (tests/integration/nginx.test.ts).
import type { IncomingMessage } from 'node:http';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadSyncConfig } from '../config.ts';
import { PROCESS_HEADER, SyncServer } from './server.ts';
import { quietLogger } from './test-fixtures.ts';
import type { Principal } from './types.ts';

function server(processId?: string): SyncServer<Principal> {
	return new SyncServer<Principal>({
		limits: loadSyncConfig({}).limits,
		log: quietLogger,
		registry: new Registry(),
		processId,
		extensions: () => [
			{
				name: 'test',
				authenticate: async () => ({ id: 'someone' }),
				handleHttp(request, response) {
					if (request.url !== '/ping') return false;
					response.end('pong');
					return true;
				}
			}
		]
	});
}

/** The headers of a WebSocket upgrade's answer, 101 or a refusal. */
function upgradeAnswer(url: string): Promise<{ status: number; process: unknown }> {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(url);
		const answer = (response: IncomingMessage) => {
			resolve({ status: response.statusCode ?? 0, process: response.headers[PROCESS_HEADER] });
			ws.terminate();
		};
		ws.on('upgrade', answer);
		ws.on('unexpected-response', (_request, response) => answer(response));
		ws.on('error', (error) => {
			if (!error.message.startsWith('Unexpected server response')) reject(error);
		});
	});
}

describe('x-sync-process', () => {
	const servers = [server(), server(), server('chosen-id')];
	const urls: string[] = [];

	beforeAll(async () => {
		for (const s of servers) {
			const address = await s.listen(0, '127.0.0.1');
			urls.push(`127.0.0.1:${address.port}`);
		}
	});
	afterAll(async () => {
		await Promise.all(servers.map((s) => s.close()));
	});

	it('is a random id per process unless one is given', () => {
		const [a, b, chosen] = servers.map((s) => s.processId);
		expect(a).toMatch(/^[0-9a-f]{12}$/);
		expect(b).toMatch(/^[0-9a-f]{12}$/);
		expect(a).not.toBe(b);
		expect(chosen).toBe('chosen-id');
	});

	it('comes with every HTTP response, answered by an extension or not', async () => {
		for (const [i, s] of servers.entries()) {
			const pong = await fetch(`http://${urls[i]}/ping`);
			expect(pong.status).toBe(200);
			expect(pong.headers.get(PROCESS_HEADER)).toBe(s.processId);
			const missing = await fetch(`http://${urls[i]}/nothing-here`);
			expect(missing.status).toBe(404);
			expect(missing.headers.get(PROCESS_HEADER)).toBe(s.processId);
		}
	});

	it('comes with an accepted upgrade and with a refused one', async () => {
		for (const [i, s] of servers.entries()) {
			await expect(upgradeAnswer(`ws://${urls[i]}/some/doc`)).resolves.toEqual({
				status: 101,
				process: s.processId
			});
			// a document name with a space is refused before anyone is asked
			await expect(upgradeAnswer(`ws://${urls[i]}/bad%20name`)).resolves.toEqual({
				status: 400,
				process: s.processId
			});
		}
	});
});
