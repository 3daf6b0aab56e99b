// Debian's nginx in front of the bench's sync processes (the shared and proxied topologies), with
// the deployment's own configuration: deploy/nginx/render.sh fills dispatch.conf.template with
// one `server` line per sync process (consistent hash on the document name, as deployed), on
// 127.0.0.1 ports. The main configuration around it is a few lines written here: one worker,
// everything in a scratch folder, room for every proxied socket. The bench has no web app: the
// template's web upstream names a loopback port nothing listens on, and no request goes there.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../tests/support/ports.ts';
import { spawnChild, waitForHttp, type Child } from './processes.ts';

export const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';

/** The deployment's server blocks for `sync` ("127.0.0.1:port" each), through render.sh. */
function renderDispatchConf(options: {
	publicListen: string;
	internalListen: string;
	web: string;
	sync: string[];
}): string {
	for (const address of [
		options.publicListen,
		options.internalListen,
		options.web,
		...options.sync
	]) {
		if (!/^127\.0\.0\.1:\d+$/.test(address)) throw new Error(`nginx: "${address}" is not loopback`);
	}
	return execFileSync('sh', ['deploy/nginx/render.sh'], {
		encoding: 'utf8',
		env: {
			...process.env,
			DISPATCH_PUBLIC_LISTEN: options.publicListen,
			DISPATCH_INTERNAL_LISTEN: options.internalListen,
			DISPATCH_WEB_SERVER: options.web,
			DISPATCH_SYNC_SERVER: options.sync.join(' ')
		}
	});
}

/** nginx.conf around the rendered file (what the nginx image's own nginx.conf holds, sized up). */
function mainConfig(dir: string): string {
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
		`\tinclude ${join(dir, 'dispatch.conf')};`,
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
	/** The rendered server blocks (dispatch.conf). */
	config: string;
	stop(): Promise<void>;
}

export async function startNginx(sync: string[], core: number | null): Promise<RunningNginx> {
	const dir = mkdtempSync(join(tmpdir(), 'dispatch-bench-nginx-'));
	const [publicPort, internalPort, webPort] = [
		await freePort(),
		await freePort(),
		await freePort()
	];
	let config: string;
	try {
		config = renderDispatchConf({
			publicListen: `127.0.0.1:${publicPort}`,
			internalListen: `127.0.0.1:${internalPort}`,
			web: `127.0.0.1:${webPort}`,
			sync
		});
	} catch (error) {
		rmSync(dir, { recursive: true, force: true });
		throw error;
	}
	writeFileSync(join(dir, 'dispatch.conf'), config);
	writeFileSync(join(dir, 'nginx.conf'), mainConfig(dir));
	const child = spawnChild({
		name: 'nginx',
		command: NGINX,
		args: ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'],
		core
	});
	const stop = () => child.stop(5_000).finally(() => rmSync(dir, { recursive: true, force: true }));
	try {
		await waitForHttp(`http://127.0.0.1:${internalPort}/nginx-health`, child, 15_000);
	} catch (error) {
		await stop();
		throw error;
	}
	return { child, wsBase: `ws://127.0.0.1:${publicPort}/sync`, config, stop };
}
