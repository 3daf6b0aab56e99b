// Seeds the demo catalog and demo accounts (idempotent: existing accounts are left as they are).
// Used by `scripts/up.sh`; run by hand with `npm run seed` (MONGODB_URI, default local FerretDB).
import { createUser, type NewUser } from '../src/lib/server/auth/accounts.ts';
import { seedCatalog } from '../src/lib/server/catalog.ts';
import { connectDatabase } from '../src/lib/shared/db.ts';
import { mongoUri, parseEnv } from '../src/lib/shared/env.ts';
import { ApiError } from '../src/lib/server/http.ts';
import { z } from 'zod';

const DEMO_ACCOUNTS: NewUser[] = [
	{
		email: 'customer@dispatch.local',
		password: 'customer-demo-pass',
		name: 'Casey Customer',
		role: 'customer'
	},
	{
		email: 'partner@dispatch.local',
		password: 'partner-demo-pass',
		name: 'Pat Partner',
		role: 'partner',
		partner: { phone: '+1 555 0100', vehicle: 'motorbike' }
	},
	{
		email: 'partner2@dispatch.local',
		password: 'partner-demo-pass',
		name: 'Robin Rider',
		role: 'partner',
		partner: { phone: '+1 555 0101', vehicle: 'bicycle' }
	}
];

const { MONGODB_URI } = parseEnv(z.object({ MONGODB_URI: mongoUri }), process.env);
const database = await connectDatabase(MONGODB_URI, { appName: 'dispatch-seed' });
try {
	const catalog = await seedCatalog(database.collections);
	console.log(`catalog: ${catalog.inserted} added, ${catalog.updated} updated`);
	for (const account of DEMO_ACCOUNTS) {
		try {
			const user = await createUser(database.collections, account, { emailVerified: true });
			if (user.role === 'partner') {
				// Demo partners start available so the demo can claim orders straight away.
				await database.collections.users.updateOne(
					{ _id: user._id },
					{ $set: { 'partner.available': true } }
				);
			}
			console.log(`account: ${account.email} created`);
		} catch (err) {
			if (err instanceof ApiError && err.code === 'email_taken') {
				console.log(`account: ${account.email} exists`);
			} else throw err;
		}
	}
} finally {
	await database.close();
}
