// docker-compose.yml as Debian's docker-compose reads it (`config`: interpolation, schema and
// references; no Docker daemon needed), with a dummy .env: it is valid, refuses to start without
// its secrets, scales (no fixed host port or container name on web and sync), has a health check
// for every service, and the nginx configuration it renders is one nginx accepts.
// scripts/test.sh installs docker-compose (setup.sh --system); when it is missing this test
// installs it, and skips, loudly, only when that is impossible (no root, no sudo, no apt).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NGINX, nginxMissing } from '../support/nginx.ts';

const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

/** Installs Debian's docker-compose if it is missing; false when that cannot be done here. */
function ensureDockerCompose(): boolean {
	if (has('docker-compose')) return true;
	const root = process.getuid?.() === 0;
	if (!has('apt-get') || (!root && !has('sudo'))) return false;
	const run = (args: string[]) => {
		const [command, ...rest] = root ? args : ['sudo', '-n', ...args];
		spawnSync(command!, rest, {
			env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
			stdio: 'inherit',
			timeout: 240_000
		});
	};
	console.warn('compose.test.ts: docker-compose is missing; installing it (apt-get)…');
	run(['apt-get', 'update', '-qq']);
	run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'docker-compose']);
	return has('docker-compose');
}

const available = ensureDockerCompose();
if (!available) {
	console.warn(
		'\n*** compose tests SKIPPED: docker-compose is not installed and cannot be installed here ' +
			'(needs apt-get as root or passwordless sudo): bash scripts/setup.sh --system ***\n'
	);
}

const SECRETS = {
	SYNC_SECRET: 'compose-test-secret-0123456789abcdef',
	ADMIN_PASSWORD: 'compose-pass'
};

interface Service {
	image?: string;
	build?: unknown;
	command?: string[];
	environment?: Record<string, string>;
	ports?: unknown[];
	container_name?: string;
	deploy?: { replicas?: number };
	healthcheck?: { test?: string[] };
	volumes?: string[];
	depends_on?: Record<string, { condition: string }>;
}

describe.skipIf(!available)('docker-compose.yml', () => {
	let dir: string;
	let envFile: string;

	/** `docker-compose -f docker-compose.yml <args>` with only `env` (and an empty .env). */
	const compose = (args: string[], env: Record<string, string>) =>
		spawnSync('docker-compose', ['--env-file', envFile, '-f', 'docker-compose.yml', ...args], {
			env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, ...env },
			encoding: 'utf8',
			timeout: 60_000
		});

	beforeAll(() => {
		dir = mkdtempSync(join(tmpdir(), 'dispatch-compose-'));
		envFile = join(dir, 'empty.env');
		writeFileSync(envFile, '');
	});
	afterAll(() => {
		if (dir) rmSync(dir, { recursive: true, force: true });
	});

	let services: Record<string, Service>;

	it('is valid with the secrets set', () => {
		const checked = compose(['config', '-q'], SECRETS);
		expect(checked.status, checked.stderr).toBe(0);
		const printed = compose(['config'], SECRETS);
		expect(printed.status, printed.stderr).toBe(0);
		// the normalised file as JSON (python3-yaml comes with docker-compose)
		const json = execFileSync(
			'python3',
			['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'],
			{ input: printed.stdout, encoding: 'utf8' }
		);
		services = (JSON.parse(json) as { services: Record<string, Service> }).services;
		expect(Object.keys(services).sort()).toEqual(['mongo', 'nginx', 'redis', 'sync', 'web']);
	});

	it('refuses to start without SYNC_SECRET or ADMIN_PASSWORD, naming it', () => {
		for (const name of Object.keys(SECRETS) as Array<keyof typeof SECRETS>) {
			const env: Record<string, string> = { ...SECRETS };
			delete env[name];
			const result = compose(['config', '-q'], env);
			expect(result.status, name).not.toBe(0);
			expect(result.stderr).toContain(name);
		}
	});

	it('scales web and sync, with a health check for every service', () => {
		for (const [name, service] of Object.entries(services)) {
			expect(service.healthcheck?.test?.length, `${name} health check`).toBeGreaterThan(1);
		}
		for (const name of ['web', 'sync']) {
			const service = services[name]!;
			expect(service.deploy?.replicas, name).toBe(2);
			expect(service.ports, `${name} publishes no port (--scale)`).toBeUndefined();
			expect(service.container_name, name).toBeUndefined();
			expect(service.environment?.MONGODB_URI).toMatch(
				/^mongodb:\/\/mongo:27017\/.*replicaSet=rs0/
			);
		}
		// only nginx is reachable from outside, on its public listener
		for (const [name, service] of Object.entries(services)) {
			if (name !== 'nginx') expect(service.ports, name).toBeUndefined();
		}
		expect(services.nginx!.ports).toEqual([{ published: 8080, target: 80 }]);
		expect(services.sync!.environment?.REDIS_URL).toBe('redis://redis:6379');
		expect(services.sync!.volumes, 'the relay journal is per process').toBeUndefined();
		// the web app reaches the service channel through nginx's internal listener
		const internal = services.nginx!.environment?.DISPATCH_INTERNAL_LISTEN;
		expect(services.web!.environment?.SYNC_INTERNAL_URL).toBe(`http://nginx:${internal}`);
		expect(services.mongo!.command).toEqual(expect.arrayContaining(['--replSet', 'rs0']));
		expect(services.mongo!.healthcheck!.test!.join(' ')).toContain('rs.initiate');
		expect(services.redis!.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
	});

	it('builds images that run as node, with .env kept out of them', () => {
		const dockerfile = readFileSync('Dockerfile', 'utf8');
		const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
		expect(finalStage).toMatch(/^USER node$/m);
		expect(readFileSync('.dockerignore', 'utf8').split('\n')).toContain('.env');
	});

	it('renders an nginx configuration that nginx accepts', () => {
		const missing = nginxMissing();
		if (missing && process.env.CI) throw new Error(missing);
		if (missing) return console.warn(`*** nginx check SKIPPED: ${missing} ***`);
		const nginx = services.nginx!;
		expect(nginx.command?.slice(0, 2)).toEqual(['sh', '/etc/nginx/dispatch/start.sh']);
		expect(nginx.volumes?.some((v) => v.endsWith(':/etc/nginx/dispatch:ro'))).toBe(true);
		// what start.sh renders there: the stack's listeners, an address per replica
		const rendered = execFileSync('sh', ['deploy/nginx/render.sh'], {
			encoding: 'utf8',
			env: {
				...nginx.environment,
				DISPATCH_WEB_SERVER: '172.18.0.5:3000 172.18.0.6:3000',
				DISPATCH_SYNC_SERVER: '172.18.0.7:3001 172.18.0.8:3001 172.18.0.9:3001'
			}
		});
		writeFileSync(join(dir, 'dispatch.conf'), rendered);
		const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
			.map((name) => `${name}_temp_path ${join(dir, name)};`)
			.join(' ');
		writeFileSync(
			join(dir, 'nginx.conf'),
			`events {}\nhttp { ${temp} include ${join(dir, 'dispatch.conf')}; }\n`
		);
		const test = spawnSync(
			NGINX,
			['-t', '-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr', '-g', `pid ${dir}/pid;`],
			{ encoding: 'utf8', timeout: 10_000 }
		);
		expect(test.status, test.stderr).toBe(0);
		expect(rendered).toMatch(/^\tlisten 80;$/m);
		expect(rendered).toMatch(/^\tlisten 8081;$/m);
		expect(rendered.match(/^\tserver 172\.18\.0\.\d:3001 /gm)).toHaveLength(3);
	});
});
