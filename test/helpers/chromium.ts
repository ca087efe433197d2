/**
 * Opens a page in headless Chromium and reports what a reader's browser saw: console messages,
 * uncaught exceptions, log entries (blocked loads, CSP violations), every network request, and
 * the value of an expression evaluated in the page.
 *
 * It speaks the Chrome DevTools protocol over `--remote-debugging-pipe` (JSON messages ending in
 * a NUL byte, written to the browser's fd 3 and read from its fd 4), so no WebSocket client or
 * browser-driver package is needed.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";

/** The Chromium binary: CHROMIUM_PATH, or Debian's. */
export function findChromium(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  return candidates.find((c): c is string => !!c && existsSync(c)) ?? null;
}

export interface PageReport<T> {
  console: { type: string; text: string }[];
  exceptions: string[];
  log: { level: string; source: string; text: string }[];
  requests: string[];
  failedRequests: string[];
  value: T;
  screenshot?: Buffer;
}

interface Message {
  id?: number;
  method?: string;
  sessionId?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

/** Loads `url`, waits for the load event, evaluates `expression` and closes the browser. */
export async function inspectPage<T>(
  url: string,
  expression: string,
  options: { timeoutMs?: number; screenshot?: boolean; fullPage?: boolean; width?: number } = {},
): Promise<PageReport<T>> {
  const binary = findChromium();
  if (!binary) throw new Error("Chromium not found (apt-get install chromium)");
  const profile = mkdtempSync(join(tmpdir(), "trailbook-chromium-"));
  const browser = spawn(
    binary,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-extensions",
      `--user-data-dir=${profile}`,
      `--window-size=${options.width ?? 1400},1000`,
      "--remote-debugging-pipe",
      "about:blank",
    ],
    { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] },
  );
  const toBrowser = browser.stdio[3] as Writable;
  const fromBrowser = browser.stdio[4] as Readable;
  let stderr = "";
  browser.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));

  const pending = new Map<number, { resolve(m: Message): void; reject(e: Error): void }>();
  const listeners: ((m: Message) => void)[] = [];
  let buffered = "";
  fromBrowser.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    let end: number;
    while ((end = buffered.indexOf("\0")) >= 0) {
      const message = JSON.parse(buffered.slice(0, end)) as Message;
      buffered = buffered.slice(end + 1);
      if (message.id !== undefined && pending.has(message.id)) {
        const p = pending.get(message.id)!;
        pending.delete(message.id);
        if (message.error) p.reject(new Error(message.error.message));
        else p.resolve(message);
      } else for (const l of listeners) l(message);
    }
  });
  let nextId = 1;
  const send = (method: string, params: object = {}, sessionId?: string) =>
    new Promise<Message>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      toBrowser.write(
        JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + "\0",
      );
    });

  const report: PageReport<T> = {
    console: [],
    exceptions: [],
    log: [],
    requests: [],
    failedRequests: [],
    value: undefined as T,
  };
  let loaded: () => void = () => {};
  const load = new Promise<void>((resolve) => (loaded = resolve));
  listeners.push((m) => {
    const p = m.params ?? {};
    switch (m.method) {
      case "Runtime.consoleAPICalled":
        report.console.push({
          type: String(p.type),
          text: ((p.args as { value?: unknown; description?: string }[]) ?? [])
            .map((a) => String(a.value ?? a.description ?? ""))
            .join(" "),
        });
        break;
      case "Runtime.exceptionThrown":
        report.exceptions.push(JSON.stringify(p.exceptionDetails));
        break;
      case "Log.entryAdded": {
        const e = p.entry as { level: string; source: string; text: string };
        report.log.push({ level: e.level, source: e.source, text: e.text });
        break;
      }
      case "Network.requestWillBeSent":
        report.requests.push((p.request as { url: string }).url);
        break;
      case "Network.loadingFailed":
        report.failedRequests.push(String(p.errorText));
        break;
      case "Page.loadEventFired":
        loaded();
        break;
    }
  });

  const timeout = options.timeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Chromium did not answer in ${timeout} ms\n${stderr}`)),
      timeout,
    );
  });
  let closing = false;
  const exited = new Promise<never>((_, reject) =>
    browser.on("exit", (code) => {
      if (!closing) reject(new Error(`Chromium exited (${code})\n${stderr}`));
    }),
  );
  try {
    const run = async () => {
      const created = await send("Target.createTarget", { url: "about:blank" });
      const attached = await send("Target.attachToTarget", {
        targetId: created.result!.targetId,
        flatten: true,
      });
      const session = attached.result!.sessionId as string;
      for (const domain of ["Runtime", "Log", "Page", "Network"]) {
        await send(`${domain}.enable`, {}, session);
      }
      await send("Page.navigate", { url }, session);
      await load;
      const evaluated = await send(
        "Runtime.evaluate",
        { expression, returnByValue: true, awaitPromise: true },
        session,
      );
      report.value = (evaluated.result!.result as { value: T }).value;
      if (options.screenshot) {
        const shot = await send(
          "Page.captureScreenshot",
          { format: "png", captureBeyondViewport: options.fullPage ?? true },
          session,
        );
        report.screenshot = Buffer.from(shot.result!.data as string, "base64");
      }
      closing = true;
      const gone = new Promise<void>((resolve) => browser.once("exit", () => resolve()));
      await send("Browser.close").catch(() => undefined);
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
    };
    await Promise.race([run(), deadline, exited]);
    return report;
  } finally {
    clearTimeout(timer);
    browser.removeAllListeners("exit");
    if (browser.exitCode === null) browser.kill();
    rmSync(profile, { recursive: true, force: true });
  }
}
