// A tiny HTML reader for the catalogue's markup: links, and the product on a product page.
// (A real scraper would use a parser such as cheerio; plain patterns keep the demo dependency-free.)

export interface ScrapedProduct {
  readonly id: string;
  readonly title: string;
  readonly priceCents: number;
  readonly offers: number;
}

export interface ParsedPage {
  /** Same-site links, as path + query, without duplicates. */
  readonly links: string[];
  readonly product: ScrapedProduct | undefined;
}

const decode = (text: string) =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');

export function parsePage(html: string, pageUrl: URL): ParsedPage {
  const links = new Set<string>();
  for (const [, href] of html.matchAll(/<a\s[^>]*href="([^"]*)"/g)) {
    const target = new URL(decode(href!), pageUrl);
    if (target.origin === pageUrl.origin) links.add(target.pathname + target.search);
  }
  const id = /data-product-id="([^"]+)"/.exec(html)?.[1];
  const title = /<h1 class="title">([^<]*)<\/h1>/.exec(html)?.[1];
  const cents = /<span class="price" data-cents="(\d+)"/.exec(html)?.[1];
  const product =
    id && title !== undefined && cents
      ? { id, title: decode(title), priceCents: Number(cents), offers: html.match(/<li class="offer">/g)?.length ?? 0 }
      : undefined;
  return { links: [...links], product };
}
