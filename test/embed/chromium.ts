// Renders a page in headless Chromium (Debian's /usr/bin/chromium, software WebGL, no network)
// and decodes PNG screenshots with node's zlib, for the tests that check a figure really drew.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";

export const CHROMIUM = "/usr/bin/chromium";

function chromium(args: string[]): string {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "rusket-chromium-"));
  try {
    return execFileSync(CHROMIUM, [
      "--headless", "--no-sandbox", "--disable-gpu", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
      "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
      // Any host lookup fails: the page must not need the network.
      "--host-resolver-rules=MAP * ~NOTFOUND",
      `--user-data-dir=${profile}`, "--virtual-time-budget=10000", ...args,
    ], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 120_000, maxBuffer: 64 << 20 });
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

/** The DOM of `file` after its scripts ran (serialised). */
export function dumpDom(file: string): string {
  return chromium(["--dump-dom", `file://${file}`]);
}

/** A screenshot of `file` as PNG bytes. */
export function screenshot(file: string, width: number, height: number): Buffer {
  const png = path.join(path.dirname(file), `${path.basename(file, ".html")}.png`);
  chromium([`--screenshot=${png}`, `--window-size=${width},${height}`, `file://${file}`]);
  return fs.readFileSync(png);
}

/** The RGB pixels of an 8-bit RGB or RGBA, non-interlaced PNG. */
export function decodePng(png: Buffer): { width: number; height: number; rgb: Uint8Array } {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error("not a PNG");
  let pos = 8, width = 0, height = 0, channels = 0;
  const idat: Buffer[] = [];
  while (pos < png.length) {
    const len = png.readUInt32BE(pos);
    const type = png.toString("ascii", pos + 4, pos + 8);
    const body = png.subarray(pos + 8, pos + 8 + len);
    if (type === "IHDR") {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, color, , , interlace] = body.subarray(8, 13);
      if (depth !== 8 || (color !== 2 && color !== 6) || interlace !== 0) throw new Error(`unsupported PNG: depth ${depth}, color ${color}`);
      channels = color === 2 ? 3 : 4;
    } else if (type === "IDAT") idat.push(body);
    pos += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[y * stride + x - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      pixels[y * stride + x] = (line[x] + predictor) & 0xff;
    }
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) rgb.set(pixels.subarray(i * channels, i * channels + 3), i * 3);
  return { width, height, rgb };
}

/**
 * The variance of the pixels' luminance, how many distinct colors they hold, and how many are
 * clearly colored (not white, grey or black: markers, not axes or text).
 */
export function pixelStats(rgb: Uint8Array): { variance: number; colors: number; saturated: number } {
  const n = rgb.length / 3;
  let sum = 0, sum2 = 0, saturated = 0;
  const colors = new Set<number>();
  for (let i = 0; i < n; i++) {
    const [r, g, b] = [rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2]];
    const l = 0.299 * r + 0.587 * g + 0.114 * b;
    sum += l;
    sum2 += l * l;
    colors.add((r << 16) | (g << 8) | b);
    if (Math.max(r, g, b) - Math.min(r, g, b) > 60) saturated++;
  }
  return { variance: sum2 / n - (sum / n) ** 2, colors: colors.size, saturated };
}
