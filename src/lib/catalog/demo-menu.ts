// The demo menu that `seedCatalog` writes into the products collection. Pure data.
// Prices are US cents. Each image is a file in static/products/.
import type { CategoryId, ProductTag } from './types.ts';

export interface DemoProduct {
	id: string;
	name: string;
	description: string;
	category: CategoryId;
	price: number;
	image: string;
	available: boolean;
	tags: ProductTag[];
	/** Position within its category. */
	sort: number;
}

type Entry = Omit<DemoProduct, 'image' | 'sort' | 'available' | 'tags'> & {
	tags?: ProductTag[];
	available?: boolean;
};

const ENTRIES: Entry[] = [
	{
		id: 'margherita',
		category: 'pizza',
		name: 'Margherita',
		description: 'San Marzano tomato, fior di latte mozzarella, fresh basil and olive oil.',
		price: 1250,
		tags: ['vegetarian']
	},
	{
		id: 'pepperoni',
		category: 'pizza',
		name: 'Pepperoni',
		description: 'Tomato, mozzarella and a generous layer of crisp-edged pepperoni.',
		price: 1450
	},
	{
		id: 'funghi',
		category: 'pizza',
		name: 'Funghi',
		description: 'Roasted chestnut mushrooms, garlic, thyme, mozzarella and parmesan.',
		price: 1390,
		tags: ['vegetarian']
	},
	{
		id: 'garden-veggie',
		category: 'pizza',
		name: 'Garden Veggie',
		description: 'Peppers, red onion, olives, sweetcorn and cherry tomatoes on a tomato base.',
		price: 1490,
		tags: ['vegetarian']
	},
	{
		id: 'bbq-chicken',
		category: 'pizza',
		name: 'BBQ Chicken',
		description: 'Smoky barbecue sauce, grilled chicken, red onion, mozzarella and coriander.',
		price: 1590
	},
	{
		id: 'diavola',
		category: 'pizza',
		name: 'Diavola',
		description: 'Spicy salami, chilli flakes, jalapeños, tomato and mozzarella.',
		price: 1550,
		tags: ['spicy']
	},
	{
		id: 'classic-cheeseburger',
		category: 'burgers',
		name: 'Classic Cheeseburger',
		description: 'Beef patty, American cheese, pickles, onion, ketchup and mustard.',
		price: 1150
	},
	{
		id: 'double-smash',
		category: 'burgers',
		name: 'Double Smash',
		description: 'Two smashed beef patties, double cheese, caramelised onions and house sauce.',
		price: 1390
	},
	{
		id: 'crispy-chicken-burger',
		category: 'burgers',
		name: 'Crispy Chicken Burger',
		description: 'Buttermilk fried chicken thigh, slaw, pickles and chipotle mayo.',
		price: 1190,
		tags: ['spicy']
	},
	{
		id: 'black-bean-burger',
		category: 'burgers',
		name: 'Black Bean Burger',
		description: 'Black bean and sweet potato patty, avocado, tomato and vegan mayo.',
		price: 1090,
		tags: ['vegan']
	},
	{
		id: 'caesar-salad',
		category: 'bowls',
		name: 'Chicken Caesar Salad',
		description: 'Romaine, grilled chicken, parmesan, sourdough croutons and Caesar dressing.',
		price: 1090
	},
	{
		id: 'greek-salad',
		category: 'bowls',
		name: 'Greek Salad',
		description: 'Tomato, cucumber, red onion, Kalamata olives, feta and oregano.',
		price: 950,
		tags: ['vegetarian']
	},
	{
		id: 'salmon-poke-bowl',
		category: 'bowls',
		name: 'Salmon Poke Bowl',
		description: 'Marinated salmon, sushi rice, edamame, cucumber, mango and sesame.',
		price: 1450
	},
	{
		id: 'falafel-bowl',
		category: 'bowls',
		name: 'Falafel Bowl',
		description: 'Crispy falafel, hummus, tabbouleh, pickled red cabbage and tahini.',
		price: 1190,
		tags: ['vegan']
	},
	{
		id: 'teriyaki-chicken-bowl',
		category: 'bowls',
		name: 'Teriyaki Chicken Bowl',
		description: 'Glazed chicken thigh, jasmine rice, broccoli, carrot and spring onion.',
		price: 1290
	},
	{
		id: 'fries',
		category: 'sides',
		name: 'Fries',
		description: 'Skin-on fries with sea salt.',
		price: 450,
		tags: ['vegan']
	},
	{
		id: 'sweet-potato-fries',
		category: 'sides',
		name: 'Sweet Potato Fries',
		description: 'Crispy sweet potato fries with smoked paprika salt.',
		price: 550,
		tags: ['vegan']
	},
	{
		id: 'onion-rings',
		category: 'sides',
		name: 'Onion Rings',
		description: 'Beer-battered onion rings with a garlic dip.',
		price: 550,
		tags: ['vegetarian']
	},
	{
		id: 'chicken-wings',
		category: 'sides',
		name: 'Buffalo Wings',
		description: 'Six chicken wings in buffalo sauce with a blue cheese dip.',
		price: 890,
		tags: ['spicy']
	},
	{
		id: 'garlic-bread',
		category: 'sides',
		name: 'Garlic Bread',
		description: 'Toasted ciabatta with garlic butter and parsley.',
		price: 490,
		tags: ['vegetarian']
	},
	{
		id: 'chocolate-brownie',
		category: 'desserts',
		name: 'Chocolate Brownie',
		description: 'Warm, fudgy dark chocolate brownie.',
		price: 550,
		tags: ['vegetarian']
	},
	{
		id: 'cheesecake',
		category: 'desserts',
		name: 'New York Cheesecake',
		description: 'Baked vanilla cheesecake on a biscuit base with a strawberry sauce.',
		price: 650,
		tags: ['vegetarian']
	},
	{
		id: 'tiramisu',
		category: 'desserts',
		name: 'Tiramisu',
		description: 'Espresso-soaked ladyfingers, mascarpone cream and cocoa.',
		price: 690,
		tags: ['vegetarian'],
		available: false
	},
	{
		id: 'vanilla-ice-cream',
		category: 'desserts',
		name: 'Vanilla Ice Cream',
		description: 'Two scoops of Madagascan vanilla ice cream.',
		price: 450,
		tags: ['vegetarian']
	},
	{
		id: 'cola',
		category: 'drinks',
		name: 'Cola',
		description: 'Ice-cold 330 ml can.',
		price: 250,
		tags: ['vegan']
	},
	{
		id: 'lemonade',
		category: 'drinks',
		name: 'Fresh Lemonade',
		description: 'Squeezed lemons, a little cane sugar and mint. 400 ml.',
		price: 350,
		tags: ['vegan']
	},
	{
		id: 'iced-tea',
		category: 'drinks',
		name: 'Peach Iced Tea',
		description: 'Black tea brewed in-house with peach. 400 ml.',
		price: 325,
		tags: ['vegan']
	},
	{
		id: 'sparkling-water',
		category: 'drinks',
		name: 'Sparkling Water',
		description: 'Naturally sparkling mineral water. 500 ml bottle.',
		price: 200,
		tags: ['vegan']
	},
	{
		id: 'mango-lassi',
		category: 'drinks',
		name: 'Mango Lassi',
		description: 'Alphonso mango blended with yoghurt and a pinch of cardamom.',
		price: 450,
		tags: ['vegetarian']
	}
];

/** Sort positions leave gaps of 10 so hand-added products can slot in between. */
export const DEMO_MENU: readonly DemoProduct[] = ENTRIES.map((entry) => ({
	...entry,
	image: `/products/${entry.id}.svg`,
	available: entry.available ?? true,
	tags: entry.tags ?? [],
	sort: (ENTRIES.filter((e) => e.category === entry.category).indexOf(entry) + 1) * 10
}));
