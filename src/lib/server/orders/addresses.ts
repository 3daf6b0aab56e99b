// What checkout remembers per customer account: the delivery addresses they used (the last used
// first, so checkout preselects it) and their phone. An order placed saves its address and phone
// here; the account page edits and deletes them. Kept on the user's document (a handful of small
// entries), read once per checkout page.
import { z } from 'zod';
import type { Collections, CustomerProfile, SavedAddress } from '../../shared/db.ts';
import { ApiError, validationError } from '../http.ts';
import { randomId } from '../../shared/ids.ts';
import { phoneSchema } from '../validation/text.ts';
import { addressSchema } from './schemas.ts';

/** How many addresses an account keeps; the least recently used goes first. */
const MAX_SAVED_ADDRESSES = 8;

export interface AddressInput {
	street: string;
	city: string;
	postcode: string;
	notes?: string;
}

/** A saved address as pages get it (ISO time). */
export interface SavedAddressView extends AddressInput {
	id: string;
	lastUsedAt: string;
}

export interface CheckoutProfile {
	phone: string | null;
	/** Most recently used first. */
	addresses: SavedAddressView[];
}

/** The same place, whatever the case and spacing: an order to it updates the saved one. */
function samePlace(a: AddressInput, b: AddressInput): boolean {
	const norm = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();
	return (
		norm(a.street) === norm(b.street) &&
		norm(a.city) === norm(b.city) &&
		norm(a.postcode) === norm(b.postcode)
	);
}

function view(address: SavedAddress): SavedAddressView {
	return {
		id: address.id,
		street: address.street,
		city: address.city,
		postcode: address.postcode,
		...(address.notes ? { notes: address.notes } : {}),
		lastUsedAt: address.lastUsedAt.toISOString()
	};
}

async function readProfile(c: Collections, userId: string): Promise<CustomerProfile> {
	const user = await c.users.findOne({ _id: userId }, { projection: { customer: 1 } });
	return { addresses: user?.customer?.addresses ?? [], phone: user?.customer?.phone };
}

async function writeProfile(c: Collections, userId: string, profile: CustomerProfile) {
	await c.users.updateOne({ _id: userId }, { $set: { customer: profile, updatedAt: new Date() } });
}

export async function checkoutProfile(c: Collections, userId: string): Promise<CheckoutProfile> {
	const profile = await readProfile(c, userId);
	return {
		phone: profile.phone ?? null,
		addresses: [...profile.addresses]
			.sort((a, b) => b.lastUsedAt.getTime() - a.lastUsedAt.getTime())
			.map(view)
	};
}

function withAddress(
	addresses: SavedAddress[],
	address: AddressInput,
	at: Date,
	id?: string
): SavedAddress[] {
	const notes = address.notes?.trim() ? { notes: address.notes.trim() } : {};
	const next: SavedAddress = {
		id: id ?? randomId(10),
		street: address.street,
		city: address.city,
		postcode: address.postcode,
		...notes,
		lastUsedAt: at
	};
	const rest = addresses.filter((a) => a.id !== id && !samePlace(a, address));
	const same = addresses.find((a) => a.id === id || samePlace(a, address));
	if (same && !id) next.id = same.id;
	return [next, ...rest]
		.sort((a, b) => b.lastUsedAt.getTime() - a.lastUsedAt.getTime())
		.slice(0, MAX_SAVED_ADDRESSES);
}

/** After an order: its address becomes the last used (saved if new), its phone the phone. */
export async function rememberCheckout(
	c: Collections,
	userId: string,
	order: { address: AddressInput; phone: string },
	at: Date = new Date()
): Promise<void> {
	const profile = await readProfile(c, userId);
	await writeProfile(c, userId, {
		phone: order.phone,
		addresses: withAddress(profile.addresses, order.address, at)
	});
}

const savedAddressSchema = addressSchema;
const idSchema = z.string().regex(/^[a-z0-9]{1,32}$/, 'Address id is not valid.');

/** Adds an address (no `id`) or changes one; keeps its place as last used when it changes. */
export async function saveAddress(
	c: Collections,
	userId: string,
	input: unknown,
	id?: string
): Promise<SavedAddressView> {
	const parsed = savedAddressSchema.safeParse(input);
	if (!parsed.success) throw validationError(parsed.error);
	const profile = await readProfile(c, userId);
	let at = new Date();
	if (id !== undefined) {
		const existing = profile.addresses.find((a) => a.id === idSchema.parse(id));
		if (!existing) throw new ApiError(404, 'not_found', 'That address is no longer saved.');
		at = existing.lastUsedAt;
	}
	const addresses = withAddress(profile.addresses, parsed.data, at, id);
	await writeProfile(c, userId, { ...profile, addresses });
	const saved = addresses.find((a) => (id ? a.id === id : samePlace(a, parsed.data)));
	return view(saved!);
}

export async function deleteAddress(c: Collections, userId: string, id: string): Promise<void> {
	const profile = await readProfile(c, userId);
	await writeProfile(c, userId, {
		...profile,
		addresses: profile.addresses.filter((a) => a.id !== id)
	});
}

/** The phone checkout offers (the customer's account page edits it). */
export async function savePhone(c: Collections, userId: string, input: unknown): Promise<string> {
	const parsed = phoneSchema.safeParse(input);
	if (!parsed.success) {
		throw validationError(
			new z.ZodError(parsed.error.issues.map((issue) => ({ ...issue, path: ['phone'] })))
		);
	}
	const profile = await readProfile(c, userId);
	await writeProfile(c, userId, { ...profile, phone: parsed.data });
	return parsed.data;
}
