// How the apps name a partner's vehicle.
import type { Vehicle } from '$lib/order/schema';

export const VEHICLE_LABELS: Record<Vehicle, string> = {
	bicycle: 'Bicycle',
	motorbike: 'Motorbike',
	car: 'Car',
	van: 'Van'
};
