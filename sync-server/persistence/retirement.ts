// Retiring a closed log generation: every document that still has rows in it is compacted (from
// memory when it is loaded, otherwise from the generation's rows, read in one pass), then the
// generation is dropped whole. Retirements queue behind each other on the compaction queue, and
// generations are closed oldest first, so a document's earlier rows are always in its snapshot
// already. A retirement that fails keeps its generation and is tried again later.
import type { DocLogRowDoc } from '../../src/lib/shared/db.ts';
import type { Compactor } from './compaction.ts';
import type { Generation, LogGenerations } from './log-generations.ts';

const RETRY_MS = 30_000;

export class Retirement {
	constructor(
		private readonly compactor: Compactor,
		private readonly generations: LogGenerations
	) {}

	/** Queues the retirement of a closed generation. */
	retire(generation: Generation): void {
		const compactor = this.compactor;
		void compactor
			.run(
				async () => {
					for (const [name, upTo] of [...generation.unmerged]) {
						if (compactor.winding) return; // kept; the next start retires it
						await compactor.fromMemory(name, upTo);
					}
					if (generation.unmerged.size > 0) {
						const byDoc = await rowsByDoc(generation);
						for (const [name, upTo] of [...generation.unmerged]) {
							if (compactor.winding) return; // kept; the next start retires it
							await compactor.fromRows(name, upTo, async (mergedSeq) => {
								const rows = (byDoc.get(name) ?? [])
									.filter((row) => row.seq > mergedSeq && row.seq <= upTo)
									.sort((a, b) => a.seq - b.seq);
								if (rows.length !== upTo - mergedSeq || rows[0]?.seq !== mergedSeq + 1) {
									throw new Error(
										`log rows of ${name} up to ${upTo} are not all in generation ${generation.number}`
									);
								}
								return rows;
							});
						}
					}
					await this.generations.dropDrained();
				},
				{ generation: generation.number }
			)
			.then(() => {
				// failed (logged): try again later; the generation is kept meanwhile
				if (
					this.generations.has(generation) &&
					generation.unmerged.size > 0 &&
					!compactor.winding
				) {
					setTimeout(() => this.retire(generation), RETRY_MS).unref();
				}
			});
	}
}

/** The rows of the documents still unmerged in a generation, by document (one pass over it). */
async function rowsByDoc(generation: Generation): Promise<Map<string, DocLogRowDoc[]>> {
	const byDoc = new Map<string, DocLogRowDoc[]>();
	for await (const row of generation.collection.find({})) {
		if (!generation.unmerged.has(row.doc)) continue;
		const rows = byDoc.get(row.doc);
		if (rows) rows.push(row);
		else byDoc.set(row.doc, [row]);
	}
	return byDoc;
}
