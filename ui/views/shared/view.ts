// What both views share: the connection to the host (the library's App), the host's theme, DOM and format helpers.
import {
  App,
  PostMessageTransport,
  applyDocumentTheme,
  applyHostFonts,
  applyHostStyleVariables,
  type McpUiHostContext,
} from "@modelcontextprotocol/ext-apps";
import type { CallToolResult } from "@modelcontextprotocol/client";
import "./base.css";

export type Handlers = {
  onInput?: (args: Record<string, unknown>) => void;
  onResult: (result: CallToolResult) => void;
  onCancelled?: (reason: string | undefined) => void;
};

function applyContext(ctx: Partial<McpUiHostContext> | undefined): void {
  if (!ctx) return;
  if (ctx.theme) applyDocumentTheme(ctx.theme);
  if (ctx.styles?.variables) applyHostStyleVariables(ctx.styles.variables);
  if (ctx.styles?.css?.fonts) applyHostFonts(ctx.styles.css.fonts);
}

/** The view's side of the protocol, its handlers set before the handshake (the tool result may follow at once). */
export function view(name: string, handlers: Handlers): App {
  const app = new App({ name, version: __APP_VERSION__ }, {}, { autoResize: true });
  app.ontoolinput = (params) => handlers.onInput?.(params.arguments ?? {});
  app.ontoolresult = (result) => handlers.onResult(result);
  app.ontoolcancelled = (params) => handlers.onCancelled?.(params.reason);
  app.onhostcontextchanged = (ctx) => applyContext(ctx);
  app.onteardown = async () => ({});
  return app;
}

/** Connect to the host that embeds this view, and take on its theme. */
export async function start(app: App): Promise<void> {
  await app.connect(new PostMessageTransport(window.parent, window.parent));
  applyContext(app.getHostContext());
}

type Child = Node | string | null | undefined | false;

/** An element with attributes (`class`, `aria-*`, …) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    node.setAttribute(key, value === true ? "" : String(value));
  }
  node.append(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
  return node;
}

export const byId = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

export const count = (n: number): string => n.toLocaleString("en-US");

/** Bytes as people read them: 1,000-based, like Docker Hub shows sizes. */
export function bytes(n: number | undefined): string {
  if (n === undefined) return "–";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** A timestamp as `2026-06-15 09:30` UTC, or a dash. */
export function when(iso: string | undefined): string {
  return iso ? iso.replace("T", " ").slice(0, 16) : "–";
}

/** The first text content of a tool result (an error's message). */
export function textOf(result: CallToolResult): string {
  const first = result.content?.find((c) => c.type === "text");
  return first && "text" in first ? String(first.text) : "";
}
