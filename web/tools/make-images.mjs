#!/usr/bin/env node
// Draws the storefront's product pictures: one flat-lay t-shirt SVG per seed product and colour,
// written to web/images/<product_id>-<colour code>.svg (the paths catalog serves as `image`).
// Run after changing the seed catalogue or a design below, and commit the output:
//   node web/tools/make-images.mjs
// It fails when a seed product has no design or a colour code has no shade, so the pictures
// cannot silently fall behind services/shop/seed.cpp.
import { mkdirSync, writeFileSync, readdirSync, unlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { readSeedDesigns } from './seed.mjs';

const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../images');

// Fabric shades by colour code: base, and the ink used for prints and stitching on it.
const shades = {
  blk: { base: '#242428', ink: '#f2f0ea' },
  wht: { base: '#fbfaf7', ink: '#1f2d4d' },
  nvy: { base: '#233354', ink: '#f3efe4' },
  gry: { base: '#a4a8ad', ink: '#2b2d31' },
  olv: { base: '#6e7340', ink: '#f1ecd9' },
  snd: { base: '#d9c4a0', ink: '#5a4630' },
  red: { base: '#b83330', ink: '#fbf6ec' },
  sky: { base: '#8fc6e6', ink: '#ffffff' },
  oat: { base: '#e8dfcf', ink: '#4a4032' },
  lim: { base: '#b6d43a', ink: '#1f2a0c' },
  grn: { base: '#3f8f5c', ink: '#f7e27a' },
  ylw: { base: '#f3c432', ink: '#2f6b46' },
};

// --- colour helpers -------------------------------------------------------------------------
const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
const toHex = (rgb) => '#' + rgb.map((v) => Math.max(0, Math.min(255, Math.round(v))).toString(16).padStart(2, '0')).join('');
const mix = (a, b, t) => toHex(hex(a).map((v, i) => v + (hex(b)[i] - v) * t));
const darker = (c, t) => mix(c, '#000000', t);
const lighter = (c, t) => mix(c, '#ffffff', t);
const luminance = (c) => {
  const [r, g, b] = hex(c).map((v) => v / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};

// --- the garment ----------------------------------------------------------------------------
// A front view on a 600×600 canvas; the neckline and sleeves vary by design.
function bodyPath({ neck = 'crew', sleeves = 'short' }) {
  const neckline = neck === 'v' ? 'L300,170 L355,92' : 'C268,128 332,128 355,92';
  const right = sleeves === 'long'
    ? 'L440,114 Q478,150 492,250 L512,470 L462,480 L424,268'
    : 'L440,114 L524,196 L474,254 L420,222';
  const left = sleeves === 'long'
    ? 'L176,268 L138,480 L88,470 L108,250 Q122,150 160,114'
    : 'L180,222 L126,254 L76,196 L160,114';
  return `M245,92 ${neckline} ${right} L424,506 Q300,520 176,506 ${left} Z`;
}

function backOfNeck({ neck = 'crew' }) {
  // The inside of the back, seen through the neckline.
  return neck === 'v'
    ? 'M245,92 C268,78 332,78 355,92 L300,170 Z'
    : 'M245,92 C268,78 332,78 355,92 C332,128 268,128 245,92 Z';
}

function collar({ neck = 'crew' }) {
  return neck === 'v'
    ? 'M243,90 L300,172 L357,90'
    : 'M243,90 C267,131 333,131 357,90';
}

function seams({ sleeves = 'short', raglan = false }) {
  if (raglan) return ['M262,104 L180,222', 'M338,104 L420,222'];
  if (sleeves === 'long') return ['M160,114 Q170,190 178,262', 'M440,114 Q430,190 422,262'];
  return ['M160,114 Q172,170 180,222', 'M440,114 Q428,170 420,222'];
}

function hems({ sleeves = 'short' }) {
  const cuffs = sleeves === 'long'
    ? ['M92,455 L140,465', 'M508,455 L460,465']
    : ['M86,210 L134,244', 'M514,210 L466,244'];
  return ['M180,490 Q300,503 420,490', ...cuffs];
}

// --- prints and details, one per design -----------------------------------------------------
const details = {
  'tee-classic': () => '',
  'tee-vneck': () => '',
  'tee-pocket': ({ base, ink }) => {
    const pocket = darker(base, 0.06);
    return `<g>
      <path d="M332,188 h64 v62 q-32,12 -64,0 Z" fill="${pocket}" stroke="${darker(base, 0.22)}" stroke-width="1.5"/>
      <path d="M336,198 h56" stroke="${mix(base, ink, 0.35)}" stroke-width="1.4" stroke-dasharray="4 4"/>
      <path d="M336,192 v54 M392,192 v54" stroke="${mix(base, ink, 0.25)}" stroke-width="1.1" stroke-dasharray="3 4"/>
    </g>`;
  },
  'tee-stripe': ({ ink }) => {
    const stripes = [];
    for (let y = 150; y < 520; y += 30) stripes.push(`<rect x="60" y="${y}" width="480" height="13" fill="${ink}"/>`);
    return `<g clip-path="url(#body)" opacity="0.96">${stripes.join('')}</g>`;
  },
  'tee-graphic-wave': ({ base, ink }) => {
    const print = luminance(base) > 0.5 ? '#1f4f7a' : ink;
    const foam = luminance(base) > 0.5 ? '#6fb3dc' : lighter(base, 0.55);
    return `<g transform="translate(300 275)">
      <circle r="70" fill="none" stroke="${print}" stroke-width="5"/>
      <clipPath id="badge"><circle r="66"/></clipPath>
      <g clip-path="url(#badge)">
        <circle cx="28" cy="-26" r="16" fill="${foam}"/>
        <path d="M-80,20 C-50,-40 0,-50 20,-10 C0,-30 -30,-10 -20,15 C-5,0 20,5 30,20 L80,20 L80,80 L-80,80 Z" fill="${print}"/>
        <path d="M-80,42 Q-60,30 -40,42 T0,42 T40,42 T80,42" fill="none" stroke="${foam}" stroke-width="5"/>
      </g>
      <text y="100" text-anchor="middle" font-family="Georgia, serif" font-size="20" letter-spacing="6" fill="${print}">SURF</text>
    </g>`;
  },
  'tee-longsleeve': () => '',
  'tee-performance': ({ base, ink }) => {
    const panel = darker(base, 0.12);
    const dots = [];
    for (let y = 240; y < 490; y += 12) {
      for (let x = 186; x < 222; x += 12) dots.push(`<circle cx="${x + ((y / 12) % 2) * 6}" cy="${y}" r="2"/>`);
      for (let x = 380; x < 416; x += 12) dots.push(`<circle cx="${x + ((y / 12) % 2) * 6}" cy="${y}" r="2"/>`);
    }
    return `<g>
      <path d="M262,104 L180,222 L126,254 L76,196 L160,114 Z M338,104 L420,222 L474,254 L524,196 L440,114 Z" fill="${panel}" clip-path="url(#body)"/>
      <g fill="${darker(base, 0.25)}" clip-path="url(#body)">${dots.join('')}</g>
      <path d="M330,170 l18,-10 l-6,10 l20,-4 l-26,16 l6,-10 Z" fill="${ink}" opacity="0.9"/>
    </g>`;
  },
  'tee-kids': ({ ink }) => `<g transform="translate(300 300)" fill="${ink}">
      <path d="M-92,40 C-70,30 -50,10 -40,-10 C-30,-30 -10,-40 20,-38 C40,-37 52,-30 58,-20
               C62,-40 66,-62 80,-72 C96,-82 118,-76 120,-60 C121,-50 112,-46 100,-48 C92,-49 86,-44 84,-34
               C80,-10 78,10 70,26 C64,38 56,44 50,46 L50,70 L36,70 L36,50 C20,52 0,52 -14,50 L-14,70 L-28,70 L-28,46
               C-50,46 -74,46 -92,40 Z"/>
      <circle cx="108" cy="-64" r="3.5" fill="#fff"/>
      <path d="M-36,-14 l8,-14 l8,12 M-16,-30 l9,-14 l8,14 M6,-38 l9,-13 l8,13 M30,-36 l9,-12 l7,13" fill="${ink}"/>
      <text y="112" text-anchor="middle" font-family="'Trebuchet MS', sans-serif" font-weight="700" font-size="24" letter-spacing="3">RAWR!</text>
    </g>`,
};

const shapes = {
  'tee-vneck': { neck: 'v' },
  'tee-longsleeve': { sleeves: 'long' },
  'tee-performance': { raglan: true },
};

function tee(design, colour) {
  const shade = shades[colour.code];
  if (!shade) throw new Error(`no shade for colour code "${colour.code}" (${colour.name})`);
  const detail = details[design.product_id];
  if (!detail) throw new Error(`no design for seed product "${design.product_id}"`);
  const shape = shapes[design.product_id] ?? {};
  const { base } = shade;
  const light = luminance(base) > 0.45;
  const outline = darker(base, light ? 0.2 : 0.35);
  const stitch = light ? darker(base, 0.25) : lighter(base, 0.18);
  const body = bodyPath(shape);
  const title = `${design.name} in ${colour.name}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 600" width="600" height="600" role="img" aria-labelledby="t">
  <title id="t">${title}</title>
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#f5f2ed"/><stop offset="1" stop-color="#ebe6de"/>
    </linearGradient>
    <linearGradient id="volume" x1="0" y1="0" x2="1" y2="0">
      <stop offset="0" stop-color="#000" stop-opacity="0.16"/>
      <stop offset="0.28" stop-color="#fff" stop-opacity="0.07"/>
      <stop offset="0.55" stop-color="#fff" stop-opacity="0"/>
      <stop offset="1" stop-color="#000" stop-opacity="0.18"/>
    </linearGradient>
    <linearGradient id="drape" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#fff" stop-opacity="0.10"/>
      <stop offset="0.7" stop-color="#000" stop-opacity="0"/>
      <stop offset="1" stop-color="#000" stop-opacity="0.10"/>
    </linearGradient>
    <filter id="shadow" x="-20%" y="-20%" width="140%" height="140%">
      <feGaussianBlur stdDeviation="12"/>
    </filter>
    <clipPath id="body"><path d="${body}"/></clipPath>
  </defs>
  <rect width="600" height="600" fill="url(#bg)"/>
  <path d="${body}" transform="translate(6 16)" fill="#3a3128" opacity="0.22" filter="url(#shadow)"/>
  <path d="${backOfNeck(shape)}" fill="${darker(base, light ? 0.14 : 0.3)}"/>
  <path d="${body}" fill="${base}"/>
  ${detail(shade)}
  <g clip-path="url(#body)">
    <rect width="600" height="600" fill="url(#volume)"/>
    <rect width="600" height="600" fill="url(#drape)"/>
    <path d="M215,300 C230,360 222,420 236,500 M385,280 C372,350 380,430 368,500"
          fill="none" stroke="#000" stroke-opacity="0.045" stroke-width="14" stroke-linecap="round"/>
  </g>
  <path d="${collar(shape)}" fill="none" stroke="${darker(base, light ? 0.12 : 0.25)}" stroke-width="9" stroke-linecap="round" stroke-linejoin="round"/>
  <path d="${collar(shape)}" fill="none" stroke="${stitch}" stroke-width="1.2" stroke-dasharray="4 4" transform="translate(0 7)"/>
  <g fill="none" stroke="${outline}" stroke-width="1.4" stroke-opacity="0.7">
    ${seams(shape).map((d) => `<path d="${d}"/>`).join('\n    ')}
  </g>
  <g fill="none" stroke="${stitch}" stroke-width="1.2" stroke-dasharray="5 5" stroke-opacity="0.8">
    ${hems(shape).map((d) => `<path d="${d}"/>`).join('\n    ')}
  </g>
  <path d="${body}" fill="none" stroke="${outline}" stroke-width="2" stroke-linejoin="round"/>
</svg>
`;
}

mkdirSync(outDir, { recursive: true });
const written = new Set();
for (const design of readSeedDesigns()) {
  for (const colour of design.colours) {
    const name = `${design.product_id}-${colour.code}.svg`;
    writeFileSync(path.join(outDir, name), tee(design, colour));
    written.add(name);
  }
}
// Pictures of products or colours no longer in the seed go, so the folder mirrors the seed.
for (const name of readdirSync(outDir)) {
  if (name.endsWith('.svg') && !written.has(name)) unlinkSync(path.join(outDir, name));
}
console.log(`make-images: ${written.size} pictures in ${path.relative(process.cwd(), outDir) || '.'}`);
