/** Word lists for the curriculum's surface variety. Plain ASCII, no numbers. */
export interface Person {
  name: string;
  he: string;
  his: string;
  him: string;
  /** Lower-case name for variable names. */
  v: string;
}

const FEMALE =
  'Ava Carla Emma Grace Iris Kara Maya Olivia Priya Rosa Tara Vera Zoe Mia Nina Ruby Sofia Lucy Chloe Elena Hana Jada Lena Nora Rhea Sana Alice Bella Daisy Fiona Gemma Holly Ivy Julia Layla'.split(
    ' ',
  );
const MALE =
  'Ben David Finn Hugo Jack Liam Noah Omar Quinn Sam Umar Will Yusuf Leo Owen Theo Aiden Diego Felix Ivan Kofi Marco Pablo Adam Carlos Ethan Henry Jonas Kevin Luis Max Oscar Ryan Tom Victor'.split(
    ' ',
  );

export const NAMES: Person[] = [
  ...FEMALE.map((name) => ({ name, he: 'she', his: 'her', him: 'her', v: name.toLowerCase() })),
  ...MALE.map((name) => ({ name, he: 'he', his: 'his', him: 'him', v: name.toLowerCase() })),
];

export interface Noun {
  /** singular */
  s: string;
  /** plural */
  p: string;
}

export interface ShopItem extends Noun {
  lo: number;
  hi: number;
}

export const SHOP_ITEMS: ShopItem[] = [
  { s: 'pen', p: 'pens', lo: 1, hi: 5 },
  { s: 'notebook', p: 'notebooks', lo: 2, hi: 9 },
  { s: 'apple', p: 'apples', lo: 1, hi: 3 },
  { s: 'sandwich', p: 'sandwiches', lo: 4, hi: 9 },
  { s: 'book', p: 'books', lo: 5, hi: 20 },
  { s: 'toy car', p: 'toy cars', lo: 3, hi: 12 },
  { s: 'ticket', p: 'tickets', lo: 5, hi: 25 },
  { s: 'shirt', p: 'shirts', lo: 8, hi: 30 },
  { s: 'cupcake', p: 'cupcakes', lo: 2, hi: 6 },
  { s: 'mug', p: 'mugs', lo: 4, hi: 12 },
  { s: 'candle', p: 'candles', lo: 2, hi: 8 },
  { s: 'ball', p: 'balls', lo: 3, hi: 10 },
  { s: 'puzzle', p: 'puzzles', lo: 6, hi: 18 },
  { s: 'plant', p: 'plants', lo: 4, hi: 15 },
  { s: 'lamp', p: 'lamps', lo: 10, hi: 40 },
  { s: 'backpack', p: 'backpacks', lo: 12, hi: 45 },
  { s: 'scarf', p: 'scarves', lo: 6, hi: 20 },
  { s: 'comic book', p: 'comic books', lo: 2, hi: 9 },
  { s: 'pizza', p: 'pizzas', lo: 8, hi: 16 },
  { s: 'basket', p: 'baskets', lo: 5, hi: 14 },
];

/** Small things people collect, pack and share. */
export const THINGS: Noun[] = [
  { s: 'marble', p: 'marbles' },
  { s: 'sticker', p: 'stickers' },
  { s: 'cookie', p: 'cookies' },
  { s: 'crayon', p: 'crayons' },
  { s: 'bead', p: 'beads' },
  { s: 'card', p: 'cards' },
  { s: 'stamp', p: 'stamps' },
  { s: 'shell', p: 'shells' },
  { s: 'egg', p: 'eggs' },
  { s: 'balloon', p: 'balloons' },
  { s: 'pencil', p: 'pencils' },
  { s: 'button', p: 'buttons' },
  { s: 'candy', p: 'candies' },
  { s: 'muffin', p: 'muffins' },
  { s: 'coin', p: 'coins' },
];

export const CONTAINERS: Noun[] = [
  { s: 'bag', p: 'bags' },
  { s: 'box', p: 'boxes' },
  { s: 'jar', p: 'jars' },
  { s: 'pack', p: 'packs' },
  { s: 'tray', p: 'trays' },
  { s: 'envelope', p: 'envelopes' },
];

export interface Mover {
  /** "drives", "rides a bike", "walks" ... (present tense, 3rd person) */
  verb: string;
  lo: number;
  hi: number;
}

export const MOVERS: Mover[] = [
  { verb: 'drives', lo: 30, hi: 70 },
  { verb: 'rides a bike', lo: 8, hi: 16 },
  { verb: 'walks', lo: 2, hi: 5 },
  { verb: 'rides a scooter', lo: 6, hi: 15 },
  { verb: 'rides a motorcycle', lo: 35, hi: 65 },
  { verb: 'sails', lo: 5, hi: 20 },
  { verb: 'jogs', lo: 4, hi: 8 },
];

export interface MachineKind {
  machine: string;
  product: Noun;
  lo: number;
  hi: number;
}

export const MACHINES: MachineKind[] = [
  { machine: 'printer', product: { s: 'page', p: 'pages' }, lo: 10, hi: 40 },
  { machine: 'machine', product: { s: 'toy', p: 'toys' }, lo: 5, hi: 25 },
  { machine: 'robot', product: { s: 'box', p: 'boxes' }, lo: 6, hi: 30 },
  { machine: 'oven', product: { s: 'loaf', p: 'loaves' }, lo: 4, hi: 15 },
  { machine: 'factory line', product: { s: 'bottle', p: 'bottles' }, lo: 20, hi: 60 },
  { machine: 'loom', product: { s: 'scarf', p: 'scarves' }, lo: 2, hi: 9 },
];

/** Jobs two people can share ("pack boxes", "fold shirts"). */
export interface Job {
  verb: string;
  thing: Noun;
  lo: number;
  hi: number;
}

export const JOBS: Job[] = [
  { verb: 'pack', thing: { s: 'box', p: 'boxes' }, lo: 3, hi: 12 },
  { verb: 'fold', thing: { s: 'shirt', p: 'shirts' }, lo: 5, hi: 20 },
  { verb: 'paint', thing: { s: 'fence post', p: 'fence posts' }, lo: 2, hi: 9 },
  { verb: 'wash', thing: { s: 'plate', p: 'plates' }, lo: 10, hi: 30 },
  { verb: 'plant', thing: { s: 'tree', p: 'trees' }, lo: 2, hi: 8 },
  { verb: 'wrap', thing: { s: 'gift', p: 'gifts' }, lo: 4, hi: 12 },
];

export interface RatioPair {
  a: string;
  b: string;
  whole: string;
  place: string;
}

export const RATIO_PAIRS: RatioPair[] = [
  { a: 'boys', b: 'girls', whole: 'students', place: 'the class' },
  { a: 'red marbles', b: 'blue marbles', whole: 'marbles', place: 'the bag' },
  { a: 'cats', b: 'dogs', whole: 'animals', place: 'the shelter' },
  { a: 'apples', b: 'oranges', whole: 'pieces of fruit', place: 'the basket' },
  { a: 'adults', b: 'children', whole: 'people', place: 'the theater' },
  { a: 'fiction books', b: 'nonfiction books', whole: 'books', place: 'the library' },
  { a: 'roses', b: 'tulips', whole: 'flowers', place: 'the garden' },
  { a: 'cars', b: 'trucks', whole: 'vehicles', place: 'the parking lot' },
];

export interface Recipe {
  makes: Noun;
  first: string;
  second: string;
  unit: string;
}

export const RECIPES: Recipe[] = [
  { makes: { s: 'cookie', p: 'cookies' }, first: 'flour', second: 'sugar', unit: 'cups' },
  { makes: { s: 'muffin', p: 'muffins' }, first: 'flour', second: 'milk', unit: 'cups' },
  { makes: { s: 'pancake', p: 'pancakes' }, first: 'milk', second: 'flour', unit: 'cups' },
  { makes: { s: 'smoothie', p: 'smoothies' }, first: 'strawberries', second: 'bananas', unit: 'ounces' },
  { makes: { s: 'pie', p: 'pies' }, first: 'apples', second: 'butter', unit: 'ounces' },
];

/** Relations by the gender of the relative ("she" / "he"). */
export const RELATIVES: Record<string, string[]> = {
  she: ['sister', 'cousin', 'friend', 'neighbor', 'aunt', 'classmate'],
  he: ['brother', 'cousin', 'friend', 'neighbor', 'uncle', 'classmate'],
};

export interface Rect {
  thing: string;
  unit: string;
  lo: number;
  hi: number;
}

export const RECTS: Rect[] = [
  { thing: 'garden', unit: 'meters', lo: 3, hi: 20 },
  { thing: 'room', unit: 'feet', lo: 8, hi: 20 },
  { thing: 'field', unit: 'meters', lo: 20, hi: 90 },
  { thing: 'poster', unit: 'inches', lo: 10, hi: 36 },
  { thing: 'rug', unit: 'feet', lo: 3, hi: 12 },
  { thing: 'pool', unit: 'meters', lo: 5, hi: 25 },
  { thing: 'playground', unit: 'meters', lo: 10, hi: 40 },
  { thing: 'table top', unit: 'inches', lo: 20, hi: 60 },
  { thing: 'patio', unit: 'feet', lo: 6, hi: 24 },
];

export const TRIANGLES: Array<{ thing: string; unit: string }> = [
  { thing: 'sail', unit: 'feet' },
  { thing: 'flag', unit: 'inches' },
  { thing: 'garden bed', unit: 'meters' },
  { thing: 'roof panel', unit: 'feet' },
  { thing: 'banner', unit: 'inches' },
];

/** Three-way choice scenarios for counting: (first set, second set, third set, what is built). */
export interface ChoiceScene {
  a: string;
  b: string;
  c: string;
  what: string;
  /** how the person chooses: "make", "order" ... */
  verb: string;
}

export const CHOICE_SCENES: ChoiceScene[] = [
  { a: 'shirts', b: 'pairs of pants', c: 'hats', what: 'outfits', verb: 'make' },
  { a: 'ice cream flavors', b: 'toppings', c: 'kinds of cones', what: 'desserts', verb: 'order' },
  { a: 'kinds of bread', b: 'fillings', c: 'sauces', what: 'sandwiches', verb: 'make' },
  { a: 'frame colors', b: 'wheel sizes', c: 'bells', what: 'bikes', verb: 'design' },
  { a: 'soups', b: 'salads', c: 'drinks', what: 'lunch combinations', verb: 'choose' },
  { a: 'cover colors', b: 'paper types', c: 'stickers', what: 'notebooks', verb: 'design' },
];

export const TOWNS = ['Avon', 'Bexley', 'Carver', 'Dalton', 'Elmwood', 'Fairview', 'Granby', 'Hilltop', 'Ivydale', 'Jasper', 'Kingsley', 'Lakeside'];
