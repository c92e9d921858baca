// Drives Debian's Firefox ESR over WebDriver BiDi (puppeteer-core) for tests/engines.py.
// One JSON command a line on stdin, one JSON answer a line on stdout: {ok, value} or {error}.
import { createInterface } from "node:readline";
import puppeteer from "puppeteer-core";

const [executablePath, width, height] = process.argv.slice(2);
const browser = await puppeteer.launch({
  browser: "firefox",
  executablePath,
  headless: true,
  protocol: "webDriverBiDi",
  extraPrefsFirefox: {
    "media.navigator.streams.fake": true,
    "media.navigator.permission.disabled": true,
    "intl.accept_languages": "fr-FR,fr",
    "browser.shell.checkDefaultBrowser": false,
  },
});
const page = await browser.newPage();
await page.setViewport({ width: Number(width), height: Number(height), isMobile: true, hasTouch: true });

const commands = {
  version: () => browser.version(),
  goto: ({ url }) => page.goto(url).then(() => null),
  reload: () => page.reload().then(() => null),
  url: () => page.url(),
  evaluate: ({ expression }) => page.evaluate(expression),
  click: ({ selector }) => page.click(selector).then(() => null),
  fill: async ({ selector, value }) => {
    await page.$eval(selector, (element) => { element.value = ""; });
    await page.type(selector, value);
    return null;
  },
  select: ({ selector, value }) => page.select(selector, value).then(() => null),
  upload: async ({ selector, path }) => {
    const input = await page.$(selector);
    await input.uploadFile(path);
    return null;
  },
  screenshot: ({ path }) => page.screenshot({ path, fullPage: true }).then(() => null),
};

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const { command, ...args } = JSON.parse(line);
  if (command === "close") break;
  try {
    const value = await commands[command](args);
    process.stdout.write(`${JSON.stringify({ ok: true, value: value ?? null })}\n`);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ error: String(error && error.message) })}\n`);
  }
}
// Firefox may linger after close over BiDi: give it two seconds, then leave anyway.
await Promise.race([browser.close(), new Promise((resolve) => setTimeout(resolve, 2000))]);
process.exit(0);
