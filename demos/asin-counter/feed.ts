// The offer feed of the ASIN counter demo: generated, not fetched, so the demo needs no network
// and its spec can compute the true counts from the same function. Deterministic: the same
// options give the same feed on every run, which is what lets a restarted job resume at a
// position in it.

/** One scraped offer: the product it belongs to and the seller's offer id. */
export interface Offer {
  readonly asin: string;
  readonly offerId: string;
}

export interface FeedOptions {
  /** How many products. @default 40 */
  readonly products?: number;
  /** The most offers a product can have (at least 1 each). @default 30 */
  readonly maxOffers?: number;
  /** Change it for another feed of the same shape. @default 1 */
  readonly seed?: number;
}

/** mulberry32: a tiny seeded PRNG, plenty for made-up data. Returns numbers in [0, 1). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * The feed, in the order a scraper would meet the offers: every product gets 1 to `maxOffers`
 * offers, and the offers of all products are shuffled together, so that the counts grow a
 * little everywhere rather than one product at a time.
 */
export function generateFeed({ products = 40, maxOffers = 30, seed = 1 }: FeedOptions = {}): Offer[] {
  const next = random(seed);
  const asins = new Set<string>();
  while (asins.size < products) {
    let asin = 'B0';
    for (let i = 0; i < 8; i++) asin += ALPHABET[Math.floor(next() * ALPHABET.length)];
    asins.add(asin); // a Set: a (very unlikely) repeated ASIN is drawn again
  }
  const offers: Offer[] = [];
  for (const asin of asins) {
    const count = 1 + Math.floor(next() * maxOffers);
    for (let i = 1; i <= count; i++) offers.push({ asin, offerId: `${asin}-offer-${i}` });
  }
  for (let i = offers.length - 1; i > 0; i--) {
    // Fisher–Yates shuffle with the same generator
    const j = Math.floor(next() * (i + 1));
    [offers[i], offers[j]] = [offers[j]!, offers[i]!];
  }
  return offers;
}

/** The true number of offers per ASIN in a feed: what the job must end up with. */
export function countOffers(feed: readonly Offer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { asin } of feed) counts[asin] = (counts[asin] ?? 0) + 1;
  return counts;
}
