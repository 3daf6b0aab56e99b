// Summaries of a V8 .cpuprofile (node --cpu-prof): where the self time went, by function and by
// module. The file itself opens as a flame graph in Chrome DevTools (Performance tab) or speedscope.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

interface ProfileNode {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
	children?: number[];
}

interface CpuProfile {
	nodes: ProfileNode[];
	samples: number[];
	timeDeltas: number[];
	startTime: number;
	endTime: number;
}

interface FrameTime {
	name: string;
	where: string;
	selfMs: number;
	selfPercent: number;
}

export interface ProfileSummary {
	file: string;
	totalMs: number;
	/** Non-idle time (everything but "(idle)"). */
	busyMs: number;
	topFunctions: FrameTime[];
	byModule: FrameTime[];
}

/**
 * The newest main-thread .cpuprofile in `dir`, or null. Node writes one per thread
 * (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile); thread 0 is the main thread, the others
 * are workers such as tsx's module loader.
 */
export function newestProfile(dir: string): string | null {
	let best: { file: string; mtime: number } | null = null;
	try {
		for (const name of readdirSync(dir)) {
			if (!/\.\d+\.0\.\d+\.cpuprofile$/.test(name)) continue;
			const file = join(dir, name);
			const mtime = statSync(file).mtimeMs;
			if (!best || mtime > best.mtime) best = { file, mtime };
		}
	} catch {
		return null;
	}
	return best?.file ?? null;
}

/** Which package or source folder a frame belongs to. */
export function moduleOf(url: string): string {
	if (!url) return '(native/V8)';
	const path = url.replace(/^file:\/\//, '');
	const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
	if (pkg) return pkg[1]!;
	if (path.startsWith('node:')) return 'node:' + path.slice(5).split('/')[0];
	const rel = relative(process.cwd(), path);
	return rel.startsWith('..') ? path : rel;
}

export function summarizeProfile(file: string, top = 20): ProfileSummary {
	const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
	const byId = new Map(profile.nodes.map((node) => [node.id, node]));
	const selfUs = new Map<number, number>();
	profile.samples.forEach((id, i) =>
		selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
	);
	const functions = new Map<string, FrameTime>();
	const modules = new Map<string, FrameTime>();
	let totalUs = 0;
	let idleUs = 0;
	for (const [id, us] of selfUs) {
		const frame = byId.get(id)!.callFrame;
		totalUs += us;
		if (frame.functionName === '(idle)') {
			idleUs += us;
			continue;
		}
		const where = frame.url ? `${moduleOf(frame.url)}:${frame.lineNumber + 1}` : '';
		const name = frame.functionName || '(anonymous)';
		const key = `${name} ${where}`;
		const fn = functions.get(key) ?? { name, where, selfMs: 0, selfPercent: 0 };
		fn.selfMs += us / 1000;
		functions.set(key, fn);
		const module = frame.url ? moduleOf(frame.url) : name.startsWith('(') ? name : '(native/V8)';
		const mod = modules.get(module) ?? { name: module, where: '', selfMs: 0, selfPercent: 0 };
		mod.selfMs += us / 1000;
		modules.set(module, mod);
	}
	const busyMs = (totalUs - idleUs) / 1000;
	const rank = (map: Map<string, FrameTime>) =>
		[...map.values()]
			.sort((a, b) => b.selfMs - a.selfMs)
			.slice(0, top)
			.map((f) => ({ ...f, selfPercent: busyMs > 0 ? (f.selfMs / busyMs) * 100 : 0 }));
	return {
		file,
		totalMs: totalUs / 1000,
		busyMs,
		topFunctions: rank(functions),
		byModule: rank(modules)
	};
}

export function formatProfile(summary: ProfileSummary): string {
	const lines = [
		`profile ${summary.file}: ${(summary.busyMs / 1000).toFixed(1)} s busy of ${(summary.totalMs / 1000).toFixed(1)} s`,
		'  self time by module:'
	];
	for (const m of summary.byModule.slice(0, 12)) {
		lines.push(
			`    ${m.selfPercent.toFixed(1).padStart(5)}%  ${m.selfMs.toFixed(0).padStart(7)} ms  ${m.name}`
		);
	}
	lines.push('  top functions (self time):');
	for (const f of summary.topFunctions) {
		lines.push(
			`    ${f.selfPercent.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.name}  ${f.where}`
		);
	}
	return lines.join('\n');
}
