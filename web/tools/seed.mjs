// Reads the seed catalogue from its one source, services/shop/seed.cpp, so the image generator
// and the browser tests' development stub stay in step with what catalog and inventory serve.
// The parser knows the shape of the `designs` table in that file and fails loudly if it finds
// nothing, rather than silently producing an empty catalogue.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
export const seedSource = path.resolve(here, '../../services/shop/seed.cpp');

export const sizes = ['S', 'M', 'L', 'XL'];

// Returns [{product_id, name, description, price_cents, colours: [{name, code}]}] in seed order.
export function readSeedDesigns(file = seedSource) {
  const text = readFileSync(file, 'utf8');
  const design = /\{"([a-z0-9-]+)",\s*"([^"]*)",\s*"([^"]*)",\s*(\d+),\s*\{((?:\s*\{"[^"]+",\s*"[a-z]+"\},?)+)\s*\}\}/g;
  const colour = /\{"([^"]+)",\s*"([a-z]+)"\}/g;
  const designs = [];
  for (const m of text.matchAll(design)) {
    designs.push({
      product_id: m[1],
      name: m[2],
      description: m[3],
      price_cents: Number(m[4]),
      colours: [...m[5].matchAll(colour)].map((c) => ({ name: c[1], code: c[2] })),
    });
  }
  if (designs.length === 0) throw new Error(`no seed designs found in ${file}`);
  return designs;
}

// The catalogue's Product objects (docs/api.md), built the way seed.cpp builds them.
export function seedProducts(file = seedSource) {
  return readSeedDesigns(file).map((d) => ({
    product_id: d.product_id,
    name: d.name,
    description: d.description,
    category: 't-shirts',
    price_cents: d.price_cents,
    currency: 'EUR',
    image: `/images/${d.product_id}-${d.colours[0].code}.svg`,
    skus: d.colours.flatMap((c) =>
      sizes.map((size) => ({ sku: `${d.product_id}-${size}-${c.code}`, size, colour: c.name }))),
  }));
}
