// The browser example run by `npm run example:browser`, loaded in Debian's Chromium: the first
// load fetches every row from the network, the reload serves every row from IndexedDB without
// an API request (read off the page and counted by the server). A screenshot of the reloaded
// page goes to test/.output/browser-idb.png.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Page } from "playwright";
import { describe, expect, it } from "vitest";
import { PKG_DIR } from "../package/helpers";
import { skipWithout } from "../support/skip";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../support/system.mjs";
import { get, withExample } from "./helpers";

const SCREENSHOT = join(PKG_DIR, "test", ".output", "browser-idb.png");

/** What the page shows once it has loaded: each row's result and source, and the counters. */
async function readPage(page: Page) {
  await page.waitForSelector("#status[data-state=done], #status[data-state=failed]", { timeout: 20_000 });
  return page.evaluate(() => ({
    status: document.getElementById("status")?.textContent ?? "",
    rows: [...document.querySelectorAll("#rows tr")].map((tr) =>
      [...tr.children]
        .slice(1, 3)
        .map((td) => td.textContent)
        .join(" from "),
    ),
    stats: Object.fromEntries(
      [...document.querySelectorAll("#stats li")].map((li) => [
        li.lastChild?.textContent ?? "",
        li.querySelector("b")?.textContent ?? "",
      ]),
    ),
  }));
}

async function apiRequests(url: string): Promise<number> {
  return ((await (await get(`${url}/api/requests`)).json()) as { apiRequests: number }).apiRequests;
}

describe.skipIf(skipWithout("chromium"))("example:browser", () => {
  it("the reload is served from IndexedDB with no network request", async () => {
    await withExample("example:browser", {}, async ({ url }) => {
      const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
      try {
        const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
        const errors: string[] = [];
        page.on("pageerror", (error) => errors.push(error.message));

        await page.goto(url);
        const first = await readPage(page);
        expect(first.status).toBe(
          "Fetched from the network and cached. Reload the page to read it back from IndexedDB.",
        );
        expect(first.rows).toEqual(Array(4).fill("MISS from network"));
        expect(first.stats).toMatchObject({ hits: "0", misses: "4", "network requests": "4" });
        expect(await apiRequests(url)).toBe(4);

        await page.reload();
        const second = await readPage(page);
        expect(second.status).toBe("Served from IndexedDB: no network request.");
        expect(second.rows).toEqual(Array(4).fill("HIT from IndexedDB"));
        expect(second.stats).toMatchObject({
          hits: "4",
          misses: "0",
          "hit rate": "100%",
          "network requests": "0",
          "entries in IndexedDB": "4",
        });
        expect(await apiRequests(url)).toBe(4);
        mkdirSync(join(PKG_DIR, "test", ".output"), { recursive: true });
        await page.screenshot({ path: SCREENSHOT, fullPage: true });

        // "Clear cache and reload" empties IndexedDB: every row goes back to the network.
        await Promise.all([page.waitForEvent("load"), page.click("#clear")]);
        const cleared = await readPage(page);
        expect(cleared.rows).toEqual(Array(4).fill("MISS from network"));
        expect(await apiRequests(url)).toBe(8);
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    });
  });
});
