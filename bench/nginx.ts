// Debian's nginx in front of the bench's sync processes (the shared and proxied topologies): one
// worker, everything in a scratch folder, listening on 127.0.0.1 only. /sync/<docName> goes to
// the upstream chosen by a consistent hash of the document name, as in a deployment: every
// socket of one document reaches the same process while that process is up.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../tests/support/ports.ts';
import { spawnChild, waitForHttp, type Child } from './processes.ts';

export const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';

/**
 * The whole nginx.conf for `upstreams` ("127.0.0.1:port" each), listening on `listen`. The
 * document name is the path after /sync/; the processes get the path without that prefix.
 */
export function renderNginxConfig(options: {
	dir: string;
	listen: string;
	upstreams: string[];
}): string {
	const { dir, listen, upstreams } = options;
	if (upstreams.length === 0) throw new Error('nginx: no upstream');
	for (const address of [listen, ...upstreams]) {
		if (!/^127\.0\.0\.1:\d+$/.test(address)) throw new Error(`nginx: "${address}" is not loopback`);
	}
	const temp = (name: string) => `\t${name}_temp_path ${join(dir, name)};`;
	return [
		'daemon off;',
		// as root the worker would otherwise switch to nobody, who cannot enter the scratch folder
		process.getuid?.() === 0 ? `user ${userInfo().username};` : '',
		'worker_processes 1;',
		`pid ${join(dir, 'nginx.pid')};`,
		'error_log stderr warn;',
		// two file descriptors per proxied socket: the client's and the upstream's
		'worker_rlimit_nofile 65536;',
		'events { worker_connections 30000; }',
		'http {',
		'\taccess_log off;',
		...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp),
		'\tmap $http_upgrade $connection_upgrade { default upgrade; "" close; }',
		'\tmap $uri $sync_doc { ~^/sync/(?<doc>.+)$ $doc; default $uri; }',
		'\tupstream dispatch_sync {',
		'\t\thash $sync_doc consistent;',
		...upstreams.map((address) => `\t\tserver ${address};`),
		'\t}',
		'\tserver {',
		`\t\tlisten ${listen} backlog=4096;`,
		'\t\tlocation /sync/ {',
		'\t\t\tproxy_pass http://dispatch_sync/;',
		'\t\t\tproxy_http_version 1.1;',
		'\t\t\tproxy_set_header Upgrade $http_upgrade;',
		'\t\t\tproxy_set_header Connection $connection_upgrade;',
		'\t\t\tproxy_set_header Host $host;',
		'\t\t\tproxy_read_timeout 120s;',
		'\t\t\tproxy_send_timeout 120s;',
		'\t\t}',
		'\t\tlocation = /nginx-health { return 200 "ok\\n"; }',
		'\t}',
		'}',
		''
	]
		.filter((line) => line !== '')
		.join('\n');
}

export interface RunningNginx {
	child: Child;
	/** ws://127.0.0.1:<port>/sync: clients append /<docName>. */
	wsBase: string;
	config: string;
	stop(): Promise<void>;
}

export async function startNginx(upstreams: string[], core: number | null): Promise<RunningNginx> {
	const dir = mkdtempSync(join(tmpdir(), 'dispatch-bench-nginx-'));
	const port = await freePort();
	const config = renderNginxConfig({ dir, listen: `127.0.0.1:${port}`, upstreams });
	writeFileSync(join(dir, 'nginx.conf'), config);
	const child = spawnChild({
		name: 'nginx',
		command: NGINX,
		args: ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'],
		core
	});
	const stop = () => child.stop(5_000).finally(() => rmSync(dir, { recursive: true, force: true }));
	try {
		await waitForHttp(`http://127.0.0.1:${port}/nginx-health`, child, 15_000);
	} catch (error) {
		await stop();
		throw error;
	}
	return { child, wsBase: `ws://127.0.0.1:${port}/sync`, config, stop };
}
