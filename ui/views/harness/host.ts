// A minimal MCP Apps host for the browser tests (tests/test_views.py), built on the library's own host side.
// The test calls window.mountView(...) and exposes window.hostCallTool / window.hostReadResource, which
// forward to the real MCP server in the test process. Every message the view sends is kept in window.hostLog.
import {
  AppBridge,
  PostMessageTransport,
  type McpUiHostCapabilities,
  type McpUiHostContext,
} from "@modelcontextprotocol/ext-apps/app-bridge";
import type { CallToolResult, ReadResourceResult } from "@modelcontextprotocol/client";

type Log = { method: string; params: unknown };
type MountOptions = {
  html: string;
  toolInput?: Record<string, unknown>;
  toolResult?: CallToolResult;
  hostContext?: McpUiHostContext;
  hostCapabilities?: McpUiHostCapabilities;
};
declare global {
  interface Window {
    mountView: (options: MountOptions) => Promise<void>;
    hostLog: Log[];
    hostCallTool?: (params: unknown) => Promise<CallToolResult>;
    hostReadResource?: (params: unknown) => Promise<ReadResourceResult>;
    bridge?: AppBridge;
  }
}

// The spec's default CSP, which hosts apply when a UI resource declares none (ours declare none).
const DEFAULT_CSP =
  "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data:; media-src 'self' data:; connect-src 'none'";

window.hostLog = [];

window.mountView = async ({ html, toolInput = {}, toolResult, hostContext, hostCapabilities }) => {
  const container = document.getElementById("host")!;
  const iframe = document.createElement("iframe");
  iframe.setAttribute("sandbox", "allow-scripts"); // an opaque origin: the view cannot reach the host page
  iframe.title = "MCP App view";
  container.replaceChildren(iframe);

  const bridge = new AppBridge(
    null, // no MCP client in the page: the handlers below forward to the test's server
    { name: "dockerhub-mcp-test-host", version: "0.0.0" },
    hostCapabilities ?? { serverTools: {}, serverResources: {}, logging: {} },
    { hostContext: hostContext ?? { theme: "light", displayMode: "inline", platform: "web" } },
  );
  window.bridge = bridge;
  const log = (method: string, params: unknown) => window.hostLog.push({ method, params });
  bridge.oncalltool = async (params) => {
    log("tools/call", params);
    return await window.hostCallTool!(params);
  };
  bridge.onreadresource = async (params) => {
    log("resources/read", params);
    return await window.hostReadResource!(params);
  };
  bridge.onsizechange = ({ height }) => {
    log("ui/notifications/size-changed", { height });
    if (height !== undefined) iframe.style.height = `${Math.ceil(height)}px`;
  };
  bridge.onloggingmessage = (params) => log("notifications/message", params);
  const initialized = new Promise<void>((resolve) => {
    bridge.oninitialized = () => resolve();
  });

  // Connect before the document loads, so the view's ui/initialize is not missed.
  await bridge.connect(new PostMessageTransport(iframe.contentWindow!, iframe.contentWindow!));
  iframe.srcdoc = html.replace(/<head([^>]*)>/i, `<head$1><meta http-equiv="Content-Security-Policy" content="${DEFAULT_CSP}">`);
  await initialized;
  await bridge.sendToolInput({ arguments: toolInput });
  if (toolResult) await bridge.sendToolResult(toolResult);
};
