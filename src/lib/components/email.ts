/**
 * An email address cut where a line may break and still read well: after the "@" and before each
 * dot ("casey.customer@", "gmail", ".test"). Rendered with <wbr> between the parts (Email.svelte).
 */
export function emailBreakParts(address: string): string[] {
	return address.split(/(?<=@)|(?=\.)/).filter((part) => part !== '');
}
